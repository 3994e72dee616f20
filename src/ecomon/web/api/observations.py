"""Latest values and time series (raw/minute/hour/day) of visible sites and outlets, paged, as JSON or CSV.

Public callers get released values only (review_state = 3): a series whose newest value is not yet released
shows no latest value to them. Staff get preliminary values too, labelled by review_state/review_label.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from psycopg import AsyncConnection
from pydantic import Field

from ecomon.web.api.common import (
    csv_response,
    fetch_page,
    label_review,
    resolve_parameter,
    visible_outlet,
    visible_site,
)
from ecomon.web.api.filters import (
    BBoxFilter,
    ElementFilter,
    Format,
    Paging,
    ParameterFilter,
    RegionFilter,
    TimeRange,
)
from ecomon.web.auth import Caller, Conn, Principal
from ecomon.web.auth.scope import outlet_condition, release_condition, series_condition, site_condition

router = APIRouter(tags=["observations"])

# The unit of a series: the element-specific unit if the parameter has one (parameter_unit), else its own. Joined,
# not looked up by subqueries per row (3-5x faster for the 6,000 rows of 1,000 sites, bench/query.py).
_UNIT_JOINS = """JOIN parameter p_ ON p_.code = se.parameter_code
                 LEFT JOIN parameter_unit pu_ ON pu_.code = se.parameter_code AND pu_.element = s.element"""
_UNIT = "coalesce(pu_.unit, p_.unit)"
_LATEST = f"""SELECT s.id AS site_id, s.code AS site_code, se.id AS series_id, se.parameter_code, se.interval_kind,
                     {_UNIT} AS unit, lv.t, lv.value, lv.data_flag, lv.qc_flag, lv.review_state
              FROM latest_value lv JOIN series se ON se.id = lv.series_id JOIN site s ON s.id = se.site_id
              {_UNIT_JOINS}"""
LATEST_COLUMNS = ("site_id", "site_code", "series_id", "parameter_code", "interval_kind", "unit", "t", "value",
                  "data_flag", "qc_flag", "review_state", "review_label")


class LatestQuery(ElementFilter, RegionFilter, BBoxFilter, ParameterFilter, Paging):
    format: Format = "json"


async def _latest(conn: AsyncConnection, principal: Principal, q: LatestQuery, extra: str, extra_args: list,
                  filename: str) -> dict | Response:
    if q.parameter:
        q = q.model_copy(update={"parameter": await resolve_parameter(conn, q.parameter)})
    where, args = q.where({"element": "s.element", "region": "s.region_code", "lon": "s.lon", "lat": "s.lat",
                           "parameter": "se.parameter_code"})
    scope, scope_args = site_condition(principal, "s")
    released, released_args = release_condition(principal, "lv")
    page = await fetch_page(
        conn, f"{_LATEST} WHERE {where} AND {scope} AND {released} AND {extra} ORDER BY s.code, se.parameter_code, "
              "se.interval_kind", [*args, *scope_args, *released_args, *extra_args], q)
    label_review(page["results"])
    return csv_response(page["results"], LATEST_COLUMNS, filename) if q.format == "csv" else page


@router.get("/latest", summary="最新值 / latest value of every visible series")
async def latest(q: Annotated[LatestQuery, Query()], principal: Caller,
                 conn: Conn) -> dict:
    return await _latest(conn, principal, q, "true", [], "latest.csv")  # type: ignore[return-value]


@router.get("/sites/{site}/latest", summary="站点最新值 / latest values of one site")
async def site_latest(site: str, q: Annotated[LatestQuery, Query()],
                      principal: Caller,
                      conn: Conn) -> dict:
    row = await visible_site(conn, principal, site)
    return await _latest(conn, principal, q, "s.id = %s", [row["id"]], f"latest-{row['code']}.csv")  # type: ignore[return-value]


class SeriesQuery(TimeRange, Paging):
    parameter: str = Field(max_length=32, description="HJ 212 factor code or alias, e.g. a34004 or PM2.5")
    interval: Literal["raw", "minute", "hour", "day"] = Field("hour", description="series interval kind")
    format: Format = "json"


SERIES_COLUMNS = ("t", "value", "data_flag", "qc_flag", "review_state", "review_label", "version", "channel")


@router.get("/sites/{site}/observations", summary="时间序列 / time series of one parameter at one site")
async def site_observations(site: str, q: Annotated[SeriesQuery, Query()],
                            principal: Caller,
                            conn: Conn) -> dict:
    row = await visible_site(conn, principal, site)
    code = await resolve_parameter(conn, q.parameter)
    where, args = q.where({"t": "o.t"})
    scope, scope_args = series_condition(principal, "se")
    released, released_args = release_condition(principal, "o")
    page = await fetch_page(
        # The series id is resolved first (a site has at most one series per parameter and interval), so each
        # monthly partition's primary key returns its rows in time order: an ordered Append, no sort.
        conn, f"""SELECT o.t, o.value, o.data_flag, o.qc_flag, o.review_state, o.version, o.channel
                  FROM observation o
                  WHERE o.series_id = (SELECT se.id FROM series se WHERE se.site_id = %s AND se.parameter_code = %s
                                         AND se.interval_kind = %s AND {scope})
                    AND {where} AND {released} ORDER BY o.t""",
        [row["id"], code, q.interval, *scope_args, *args, *released_args], q)
    label_review(page["results"])
    if q.format == "csv":
        return csv_response(page["results"], SERIES_COLUMNS,  # type: ignore[return-value]
                            f"{row['code']}-{code}-{q.interval}-p{q.page}.csv")
    unit = await (await conn.execute(
        f"SELECT {_UNIT} FROM (SELECT %s::text AS parameter_code) se CROSS JOIN site s {_UNIT_JOINS} WHERE s.id = %s",
        (code, row["id"]))).fetchone()
    page["meta"] |= {"site": row["code"], "parameter": code, "interval": q.interval, "unit": unit[0]}
    return page


class ObservationQuery(ElementFilter, RegionFilter, BBoxFilter, TimeRange, Paging):
    parameter: str = Field(max_length=32, description="HJ 212 factor code or alias, e.g. a34004 or PM2.5")
    interval: Literal["raw", "minute", "hour", "day"] = Field("hour", description="series interval kind")
    format: Format = "json"


OBSERVATION_COLUMNS = ("site_code", "t", "value", "data_flag", "qc_flag", "review_state", "review_label")


@router.get("/observations", summary="多站点观测 / observations of one parameter across visible sites")
async def observations(q: Annotated[ObservationQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Filter by time, bounding box or radius, region and element; ordered by site then time."""
    code = await resolve_parameter(conn, q.parameter)
    where, args = q.where({"element": "s.element", "region": "s.region_code", "lon": "s.lon", "lat": "s.lat",
                           "t": "o.t"})
    scope, scope_args = site_condition(principal, "s")
    released, released_args = release_condition(principal, "o")
    page = await fetch_page(
        conn, f"""SELECT s.code AS site_code, o.t, o.value, o.data_flag, o.qc_flag, o.review_state
                  FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
                  WHERE se.parameter_code = %s AND se.interval_kind = %s
                    AND {where} AND {scope} AND {released} ORDER BY s.code, o.t""",
        [code, q.interval, *args, *scope_args, *released_args], q)
    label_review(page["results"])
    if q.format == "csv":
        return csv_response(page["results"], OBSERVATION_COLUMNS,  # type: ignore[return-value]
                            f"observations-{code}-{q.interval}-p{q.page}.csv")
    page["meta"] |= {"parameter": code, "interval": q.interval}
    return page


class OutletQuery(Paging):
    enterprise: int | None = Field(None, ge=1, le=2**62, description="enterprise id")
    kind: Literal["gas", "water"] | None = Field(None, description="flue-gas or wastewater outlet")


@router.get("/outlets", summary="排放口 / visible enterprise outlets (own ones for enterprise users)")
async def list_outlets(q: Annotated[OutletQuery, Query()], principal: Caller, conn: Conn) -> dict:
    scope, scope_args = outlet_condition(principal, "o")
    return await fetch_page(
        conn, f"""SELECT o.id, o.code, o.name_zh, o.kind, o.enterprise_id, e.name_zh AS enterprise_name,
                         e.region_code, o.emission_standard, o.limits, o.state, o.lon, o.lat
                  FROM outlet o JOIN enterprise e ON e.id = o.enterprise_id
                  WHERE {scope} AND (%s::bigint IS NULL OR o.enterprise_id = %s) AND (%s::text IS NULL OR o.kind = %s)
                  ORDER BY o.enterprise_id, o.code""",
        [*scope_args, q.enterprise, q.enterprise, q.kind, q.kind], q)


@router.get("/outlets/{outlet}/observations", summary="排放口时间序列 / time series of one parameter at one outlet")
async def outlet_observations(outlet: str, q: Annotated[SeriesQuery, Query()], principal: Caller,
                              conn: Conn) -> dict:
    row = await visible_outlet(conn, principal, outlet)
    code = await resolve_parameter(conn, q.parameter)
    where, args = q.where({"t": "o.t"})
    released, released_args = release_condition(principal, "o")
    page = await fetch_page(
        conn, f"""SELECT o.t, o.value, o.data_flag, o.qc_flag, o.review_state, o.version, o.channel
                  FROM observation o JOIN series se ON se.id = o.series_id
                  WHERE se.outlet_id = %s AND se.parameter_code = %s AND se.interval_kind = %s
                    AND {where} AND {released} ORDER BY o.t""",
        [row["id"], code, q.interval, *args, *released_args], q)
    label_review(page["results"])
    if q.format == "csv":
        return csv_response(page["results"], SERIES_COLUMNS,  # type: ignore[return-value]
                            f"outlet-{row['id']}-{code}-{q.interval}-p{q.page}.csv")
    page["meta"] |= {"outlet": row["id"], "parameter": code, "interval": q.interval}
    return page
