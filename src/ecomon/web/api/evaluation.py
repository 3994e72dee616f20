"""Evaluation results: current and daily AQI (HJ 633), rankings (HJ 663 composite index, AQI), water classes per
section (GB 3838), exceedances per outlet, and report downloads (XLSX / HTML).

Scoping (in SQL): station results follow the site rules of `web.auth.scope`; district/city results are visible to
users whose region contains them (all regions for users without one); public callers see only AQI computed from
released data and no assessments (they are built from preliminary data, like aggregates); enterprise users none.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ecomon.config import get_settings
from ecomon.evaluation import (
    env_results,
    env_runner,
    gamma_stations,
    noise_zones,
    sources,
    water_bodies,
    water_sections,
)
from ecomon.evaluation.inputs import local_midnight
from ecomon.reports import catalogue
from ecomon.reports.fetch import run_async
from ecomon.reports.model import Condition, Scopes
from ecomon.reports.render import MEDIA_TYPES, render
from ecomon.web.api.common import fetch_all, fetch_page, visible_site
from ecomon.web.api.filters import Paging
from ecomon.web.auth import Caller, Conn
from ecomon.web.auth.principal import Principal
from ecomon.web.auth.scope import RELEASED, series_condition, site_condition
from ecomon.web.errors import ApiError

router = APIRouter(tags=["evaluation"])
RuleSet = Literal["auto", "HJ633-2012", "HJ633-2026"]
Level = Literal["station", "district", "city"]
IN_FORCE_2026 = "2026-03-01T00:00:00+08:00"
CURRENT_WITHIN = "72 hours"
"""A place's newest hourly AQI is "current" if it is at most this much older than the newest of all places."""
_AUTO = f"(r.rule_set = CASE WHEN r.t < '{IN_FORCE_2026}'::timestamptz THEN 'HJ633-2012' ELSE 'HJ633-2026' END)"
_LEVEL = {"station": "r.site_id IS NOT NULL", "district": "g.level = 'county'", "city": "g.level = 'city'"}
_PLACE = """r.site_id, s.code AS site_code, r.region_code,
            coalesce(s.name_zh, CASE WHEN g.name_zh = '市辖区' THEN p.name_zh ELSE g.name_zh END) AS name_zh"""
_JOINS = """LEFT JOIN site s ON s.id = r.site_id LEFT JOIN region g ON g.code = r.region_code
            LEFT JOIN region p ON p.code = g.parent_code"""
_AQI = """r.period, r.t, r.rule_set, r.aqi, r.level, r.primary_pollutants, r.iaqi, r.inputs, r.items_valid,
          r.items_expected, r.publishable, r.stations, r.review_state, r.computed_at"""


def results_condition(p: Principal, *, assessment: bool = False) -> Condition:
    """Condition on an evaluation result row aliased r (see the module docstring)."""
    if p.role == "enterprise" or (assessment and p.released_only):
        return "false", []
    site_sql, site_args = site_condition(p, "s_")
    region_sql, region_args = "true", []
    if p.region_code is not None:
        region_sql, region_args = "r.region_code IN (SELECT region_descendants(%s))", [p.region_code]
    sql = (f"(r.site_id IN (SELECT s_.id FROM site s_ WHERE {site_sql})"
           f" OR (r.region_code IS NOT NULL AND {region_sql}))")
    args: list[object] = [*site_args, *region_args]
    if p.released_only:
        sql += " AND r.review_state = %s"
        args.append(RELEASED)
    return sql, args


def scopes_for(p: Principal) -> Scopes:
    site_sql, site_args = site_condition(p, "s")
    if p.released_only:
        site_sql, site_args = f"{site_sql} AND o.review_state = %s", [*site_args, RELEASED]
    return Scopes(results=results_condition(p), assessments=results_condition(p, assessment=True),
                  sites=(site_sql, site_args), series=series_condition(p, "se"))


def _rule(rule_set: RuleSet) -> Condition:
    return (_AUTO, []) if rule_set == "auto" else ("r.rule_set = %s", [rule_set])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Day = Annotated[dt.date, Field(ge=dt.date(catalogue.FIRST_YEAR, 1, 1), le=dt.date(catalogue.LAST_YEAR, 12, 31))]


class CurrentQuery(Strict):
    level: Level = "station"
    rule_set: RuleSet = "auto"


@router.get("/aqi/current", summary="实时空气质量指数 / current hourly AQI per station, district or city")
async def current_aqi(q: Annotated[CurrentQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """The newest hourly (real-time) AQI of each visible place, under the rule set in force unless one is named.

    Places silent for more than CURRENT_WITHIN before the newest result are left out (their AQI is not current).
    """
    scope, scope_args = results_condition(principal)
    rule, rule_args = _rule(q.rule_set)
    rows = await fetch_all(conn, f"""
        SELECT DISTINCT ON (coalesce(r.site_id, 0), coalesce(r.region_code, '')) {_PLACE}, {_AQI}
        FROM aqi_result r {_JOINS}
        WHERE r.period = 'hour' AND {_LEVEL[q.level]} AND {rule} AND {scope}
          AND r.t > (SELECT max(t) FROM aqi_result WHERE period = 'hour') - %s::interval
        ORDER BY coalesce(r.site_id, 0), coalesce(r.region_code, ''), r.t DESC""",
        [*rule_args, *scope_args, CURRENT_WITHIN])
    return {"meta": {"level": q.level, "rule_set": q.rule_set, "found": len(rows)},
            "results": sorted(rows, key=lambda r: (r["aqi"] is None, r["aqi"] or 0))}


class DailyQuery(Paging):
    site: str | None = Field(None, max_length=64, description="station id or code")
    region: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3})?$", description="district or city region code")
    date_from: Day = Field(alias="from")
    date_to: Day = Field(alias="to")
    rule_set: RuleSet = "auto"


@router.get("/aqi/daily", summary="日空气质量指数序列 / daily AQI series of a station or region")
async def daily_aqi(q: Annotated[DailyQuery, Query()], principal: Caller, conn: Conn) -> dict:
    if (q.site is None) == (q.region is None):
        raise ApiError(422, "invalid_query", "give exactly one of site or region")
    if q.date_to < q.date_from:
        raise ApiError(422, "invalid_query", "`to` is before `from`")
    if q.site is not None:
        place, place_args = "r.site_id = %s", [(await visible_site(conn, principal, q.site))["id"]]
    else:
        place, place_args = "r.region_code = %s", [q.region]
    scope, scope_args = results_condition(principal)
    rule, rule_args = _rule(q.rule_set)
    tz = get_settings().timezone
    return await fetch_page(conn, f"""
        SELECT {_PLACE}, {_AQI} FROM aqi_result r {_JOINS}
        WHERE r.period = 'day' AND {place} AND r.t >= %s AND r.t < %s AND {rule} AND {scope}
        ORDER BY r.t, r.rule_set""",
        [*place_args, local_midnight(q.date_from, tz), local_midnight(q.date_to + dt.timedelta(days=1), tz),
         *rule_args, *scope_args], q)


class RankingQuery(Strict):
    period: Literal["month", "year"] = "month"
    start: str = Field(pattern=r"^[0-9]{4}(-[0-9]{2})?$", description="YYYY-MM (month) or YYYY (year)")
    level: Literal["station", "district", "city"] = "station"
    rule_set: RuleSet = "auto"


@router.get("/rankings", summary="综合指数排名 / ranking by composite index (HJ 663), with good-day rate")
async def rankings(q: Annotated[RankingQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Rank 1 = best (lowest composite index); equal indices share the better rank; places without one last."""
    try:
        start = catalogue.within_years(
            dt.date.fromisoformat(f"{q.start}-01" if q.period == "month" else f"{q.start}-01-01"), "start")
    except ValueError:
        raise ApiError(422, "invalid_query", "start must be YYYY-MM for months, YYYY for years") from None
    if (q.period == "month") != (len(q.start) == 7):
        raise ApiError(422, "invalid_query", "start must be YYYY-MM for months, YYYY for years")
    scope, scope_args = results_condition(principal, assessment=True)
    if q.rule_set == "auto":
        rule = "r.rule_set = CASE WHEN r.period_start + interval '1 month' <= '2026-03-01' " \
               "AND r.period = 'month' OR r.period_start < '2026-01-01' AND r.period = 'year' THEN 'HJ633-2012' " \
               "ELSE 'HJ633-2026' END"
        rule_args: list[object] = []
    else:
        rule, rule_args = "r.rule_set = %s", [q.rule_set]
    rows = await fetch_all(conn, f"""
        SELECT rank() OVER (ORDER BY r.composite) AS rank, {_PLACE}, r.period, r.period_start, r.rule_set,
               r.limit_set, r.composite, r.composite_primary, r.good_rate, r.good_days, r.aqi_days, r.heavy_days,
               r.compliant, (r.statistics->>'PM2.5')::float AS pm25, r.stations
        FROM air_assessment_result r {_JOINS}
        WHERE r.period = %s AND r.period_start = %s AND {_LEVEL[q.level]} AND {rule} AND {scope}
        ORDER BY r.composite NULLS LAST, name_zh""", [q.period, start, *rule_args, *scope_args])
    for row in rows:
        if row["composite"] is None:
            row["rank"] = None
    return {"meta": {"period": q.period, "start": q.start, "level": q.level, "found": len(rows)}, "results": rows}


class AqiRankingQuery(Strict):
    date: Day
    level: Level = "station"
    rule_set: RuleSet = "auto"


@router.get("/rankings/aqi", summary="日 AQI 排名 / ranking by daily AQI")
async def aqi_ranking(q: Annotated[AqiRankingQuery, Query()], principal: Caller, conn: Conn) -> dict:
    scope, scope_args = results_condition(principal)
    rule, rule_args = _rule(q.rule_set)
    rows = await fetch_all(conn, f"""
        SELECT rank() OVER (ORDER BY r.aqi) AS rank, {_PLACE}, {_AQI} FROM aqi_result r {_JOINS}
        WHERE r.period = 'day' AND r.t = %s AND r.aqi IS NOT NULL AND {_LEVEL[q.level]} AND {rule} AND {scope}
        ORDER BY r.aqi, name_zh""", [local_midnight(q.date, get_settings().timezone), *rule_args, *scope_args])
    return {"meta": {"date": q.date.isoformat(), "level": q.level, "found": len(rows)}, "results": rows}


class MonthQuery(Strict):
    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM")


def _month(text: str) -> dt.date:
    try:
        return catalogue.within_years(dt.date.fromisoformat(f"{text}-01"), "month")
    except ValueError as error:
        raise ApiError(422, "invalid_query", f"month must be YYYY-MM: {error}") from None


async def _stored(conn: Conn, principal: Principal, element: str, periods: tuple[str, ...], first: dt.date,
                  last: dt.date) -> list[dict]:
    """Stored results (`env_result`) of the sites the caller may see; the public only fully released ones."""
    sql, args = env_results.query(element, periods, first, last, *results_condition(principal))
    cur = await conn.execute(sql, args)  # type: ignore[arg-type]
    return env_results.as_dicts(await cur.fetchall())


async def _sections(conn: Conn, principal: Principal, month: dt.date) -> tuple[pl.DataFrame, str]:
    """The month's section table: stored results when the month has been evaluated, else computed now."""
    stored = await _stored(conn, principal, "water", ("month",), month, month)
    if stored:
        return water_sections.sections_from_stored(stored), "stored"
    sql, args = water_sections.month_query(month, get_settings().timezone, *scopes_for(principal).sites)
    cur = await conn.execute(sql, args)  # type: ignore[arg-type]
    return water_sections.classify_sections(await cur.fetchall()), "computed"


@router.get("/water/sections", summary="断面水质类别 / monthly water class per section (GB 3838-2002)")
async def water_classes(q: Annotated[MonthQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Stored monthly classes when the month was evaluated (`meta.source` stored), else computed on request."""
    table, source = await _sections(conn, principal, _month(q.month))
    rows = table.drop("site_id").to_dicts() if table.height else []
    return {"meta": {"month": q.month, "found": len(rows), "source": source}, "results": rows}


@router.get("/water/bodies", summary="河流流域水质状况与湖库营养状态 / rivers, basins and lakes of a month")
async def water_body_status(q: Annotated[MonthQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Rivers and basins by the section-proportion method (环办〔2011〕22号) and lakes with TLI(Σ), from the
    sections the caller may see."""
    sections, source = await _sections(conn, principal, _month(q.month))
    rivers, lakes = water_bodies.river_status(sections).to_dicts(), water_bodies.lake_state(sections).to_dicts()
    return {"meta": {"month": q.month, "rivers": len(rivers), "lakes": len(lakes), "source": source},
            "rivers": rivers, "lakes": lakes}


class RangeQuery(Strict):
    date_from: Day = Field(alias="from")
    date_to: Day = Field(alias="to")


def _source_range(q: RangeQuery) -> None:
    if q.date_to < q.date_from or (q.date_to - q.date_from).days >= catalogue.MAX_SOURCE_DAYS:
        raise ApiError(422, "invalid_query", f"from..to must ascend and span at most {catalogue.MAX_SOURCE_DAYS} days")


@router.get("/sources/exceedances", summary="排放口超标 / exceedances per outlet")
async def exceedances(q: Annotated[RangeQuery, Query()], principal: Caller, conn: Conn) -> dict:
    _source_range(q)
    sql, args = sources.exceedance_query(q.date_from, q.date_to, get_settings().timezone,
                                         *series_condition(principal, "se"))
    cur = await conn.execute(sql, args)  # type: ignore[arg-type]
    rows = [dict(zip(sources.COLUMNS, row, strict=True)) for row in await cur.fetchall()]
    return {"meta": {"from": q.date_from.isoformat(), "to": q.date_to.isoformat(), "found": len(rows)},
            "results": rows}


@router.get("/sources/loads", summary="排放量与许可排放量 / emission loads against permitted totals")
async def emission_loads(q: Annotated[RangeQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Tonnes emitted in from..to and since 1 January of `to`'s year, per outlet and pollutant, with whole-plant
    rows (outlet_code "") where the enterprise's permit sets a total."""
    _source_range(q)
    sql, args = sources.load_query(q.date_from, q.date_to, get_settings().timezone, *series_condition(principal, "se"))
    cur = await conn.execute(sql, args)  # type: ignore[arg-type]
    rows = sources.emission_loads(await cur.fetchall()).to_dicts()
    return {"meta": {"from": q.date_from.isoformat(), "to": q.date_to.isoformat(), "found": len(rows)},
            "results": rows}


class NoiseQuery(RangeQuery):
    detail: bool = False


@router.get("/noise/zones", summary="功能区声环境达标 / functional-zone noise compliance (GB 3096-2008)")
async def noise_compliance(q: Annotated[NoiseQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Per station the day and night compliance rates over complete periods; with detail=true also every
    station-day-period (Leq, hours, limit, exceedance). From the stored periods when the range has been evaluated
    (`meta.source` stored), else computed on request from the hourly data."""
    _source_range(q)
    stored = await _stored(conn, principal, "noise", ("day", "night"), q.date_from, q.date_to)
    if stored:
        levels, source = noise_zones.levels_from_stored(stored), "stored"
    else:
        sql, args = noise_zones.hourly_query(q.date_from, q.date_to, get_settings().timezone,
                                             *scopes_for(principal).sites)
        cur = await conn.execute(sql, args)  # type: ignore[arg-type]
        levels, source = noise_zones.period_levels(await cur.fetchall()), "computed"
    stations = noise_zones.compliance(levels).to_dicts() if levels.height else []
    answer: dict = {"meta": {"from": q.date_from.isoformat(), "to": q.date_to.isoformat(), "found": len(stations),
                             "source": source},
                    "results": stations}
    if q.detail:
        answer["periods"] = levels.to_dicts()
    return answer


@router.get("/radiation/gamma", summary="环境γ辐射剂量率 / gamma dose rate against baseline and background")
async def gamma_dose_rates(q: Annotated[RangeQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """A whole calendar month that has been evaluated is read from the stored results (`meta.source` stored);
    any other range is computed on request."""
    _source_range(q)
    month = env_runner.month_start(q.date_from)
    whole_month = q.date_from == month and q.date_to == env_runner.month_end(month)
    stored = await _stored(conn, principal, "radiation", ("month",), month, month) if whole_month else []
    if stored:
        rows, source = gamma_stations.summary_from_stored(stored), "stored"
    else:
        sql, args = gamma_stations.hourly_query(q.date_from, q.date_to, get_settings().timezone,
                                                *scopes_for(principal).sites)
        cur = await conn.execute(sql, args)  # type: ignore[arg-type]
        rows, source = gamma_stations.station_summary(await cur.fetchall()).to_dicts(), "computed"
    return {"meta": {"from": q.date_from.isoformat(), "to": q.date_to.isoformat(), "found": len(rows),
                     "source": source},
            "results": rows}


@router.get("/soil/samples", summary="土壤污染风险评价 / stored soil samples under GB 15618-2018 or GB 36600-2018")
async def soil_samples(q: Annotated[RangeQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Every stored soil sample of from..to: rule set (by the point's land use), category, items measured, values
    and multiples over the screening and intervention values."""
    _source_range(q)
    rows = [{"site_id": r["site_id"], "code": r["code"], "name_zh": r["name_zh"], "region_code": r["region_code"],
             "date": r["period_start"], "rule_set": r["rule_set"], "category": r["verdict"],
             "category_code": r["verdict_code"], "items_measured": r["inputs_valid"],
             "items_in_standard": r["inputs_expected"], "review_state": r["review_state"],
             "computed_at": r["computed_at"], **r["detail"]}
            for r in await _stored(conn, principal, "soil", ("sample",), q.date_from, q.date_to)]
    return {"meta": {"from": q.date_from.isoformat(), "to": q.date_to.isoformat(), "found": len(rows)},
            "results": rows}


Year = Annotated[int, Field(ge=catalogue.FIRST_YEAR, le=catalogue.LAST_YEAR)]


class YearRangeQuery(Strict):
    year_from: Year = Field(alias="from")
    year_to: Year = Field(alias="to")


@router.get("/ecology/regions", summary="生态质量指数 / stored yearly ecological status index (HJ 192-2015)")
async def ecology_regions(q: Annotated[YearRangeQuery, Query()], principal: Caller, conn: Conn) -> dict:
    """Every stored year from..to of the ecology sites the caller may see: EI, grade (after the restriction's
    downgrade), the five sub-indices, and the change against the year before (ΔEI, degree, trend) where stored.
    A year with a missing sub-index has no EI and names what is missing."""
    if q.year_to < q.year_from:
        raise ApiError(422, "invalid_query", "from..to must be ascending years")
    rows = [{"site_id": r["site_id"], "code": r["code"], "name_zh": r["name_zh"], "region_code": r["region_code"],
             "year": r["period_start"].year, "rule_set": r["rule_set"], "ei": r["value"], "grade": r["verdict"],
             "grade_code": r["verdict_code"], "sub_indices_stored": r["inputs_valid"],
             "review_state": r["review_state"], "computed_at": r["computed_at"], **r["detail"]}
            for r in await _stored(conn, principal, "ecology", ("year",), dt.date(q.year_from, 1, 1),
                                   dt.date(q.year_to, 1, 1))]
    return {"meta": {"from": q.year_from, "to": q.year_to, "found": len(rows)}, "results": rows}


@router.get("/reports", summary="报表目录 / report kinds and their parameters")
async def report_catalogue() -> dict:
    return {"results": [{**entry, "url": f"/api/v1/reports/{entry['kind']}"} for entry in catalogue.catalogue()]}


class ReportQuery(Strict):
    date: str | None = Field(None, max_length=10)
    month: str | None = Field(None, max_length=7)
    year: str | None = Field(None, max_length=4)
    date_from: str | None = Field(None, alias="from", max_length=10)
    date_to: str | None = Field(None, alias="to", max_length=10)
    rule_set: RuleSet = "auto"
    format: Literal["xlsx", "html"] = "html"
    lang: Literal["zh", "en"] = "zh"


@router.get("/reports/{kind}", summary="下载报表 / a report as XLSX or HTML",
            responses={200: {"content": {MEDIA_TYPES["xlsx"]: {}, "text/html": {}}}})
async def report(kind: Annotated[str, Path(max_length=32)], q: Annotated[ReportQuery, Query()],
                 principal: Caller, conn: Conn) -> Response:
    params = {"date": q.date, "month": q.month, "year": q.year, "from": q.date_from, "to": q.date_to,
              "rule_set": q.rule_set}
    try:
        prepared = catalogue.prepare(kind, params, get_settings().timezone, scopes_for(principal), q.lang)
    except ValueError as error:
        status, code = (404, "unknown_report") if kind not in catalogue.KINDS else (422, "invalid_query")
        raise ApiError(status, code, str(error), {"kind": kind}) from None
    built = prepared.build(await run_async(conn, prepared.queries))
    disposition = "attachment" if q.format == "xlsx" else "inline"
    return Response(render(built, q.format), media_type=MEDIA_TYPES[q.format],
                    headers={"Content-Disposition": f'{disposition}; filename="{built.filename}.{q.format}"'})
