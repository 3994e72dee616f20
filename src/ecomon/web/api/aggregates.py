"""Aggregates (day, day_max, o3_8h, o3_8h_max, month, year) with n / expected / valid / rule_set.

Aggregates are computed from all stored data, preliminary included, so they are not public: staff and enterprise
users only (enterprise users: their own outlets, which have no site, so none here).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from ecomon.web.api.common import csv_response, fetch_page, resolve_parameter, visible_site
from ecomon.web.api.filters import Format, Paging, TimeRange
from ecomon.web.auth import Conn, require_roles
from ecomon.web.auth.principal import STAFF_ROLES
from ecomon.web.auth.scope import series_condition

router = APIRouter(tags=["aggregates"])
AggregateReader = require_roles(*STAFF_ROLES, "enterprise")

COLUMNS = ("parameter_code", "kind", "t", "value", "n", "expected", "valid", "rule_set", "computed_at")


class AggregateQuery(TimeRange, Paging):
    parameter: str | None = Field(None, max_length=32, description="HJ 212 factor code or alias")
    kind: Literal["day", "day_max", "o3_8h", "o3_8h_max", "month", "year"] | None = None
    format: Format = "json"


@router.get("/sites/{site}/aggregates", summary="统计值 / aggregates of one site (staff)")
async def site_aggregates(site: str, q: Annotated[AggregateQuery, Query()],
                          principal: AggregateReader,
                          conn: Conn) -> dict:
    row = await visible_site(conn, principal, site)
    where, args = q.where({"t": "a.t"})
    extra, extra_args = [], []
    if q.parameter:
        extra.append("se.parameter_code = %s")
        extra_args.append(await resolve_parameter(conn, q.parameter))
    if q.kind:
        extra.append("a.kind = %s")
        extra_args.append(q.kind)
    scope, scope_args = series_condition(principal, "se")
    page = await fetch_page(
        conn, f"""SELECT se.parameter_code, a.kind, a.t, a.value, a.n, a.expected, a.valid, a.rule_set, a.computed_at
                  FROM aggregate a JOIN series se ON se.id = a.series_id
                  WHERE se.site_id = %s AND {where} AND {' AND '.join(extra) or 'true'} AND {scope}
                  ORDER BY se.parameter_code, a.kind, a.t""",
        [row["id"], *args, *extra_args, *scope_args], q)
    if q.format == "csv":
        return csv_response(page["results"], COLUMNS, f"aggregates-{row['code']}-p{q.page}.csv")  # type: ignore[return-value]
    return page
