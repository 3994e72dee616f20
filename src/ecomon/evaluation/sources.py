"""Exceedances of pollution-source outlets against their limits, and emission loads against permitted totals.

An outlet's `limits` (HJ 212 code → limit in the stored unit, from its emission standard, e.g. GB 13271-2014
Table 2 as converted to reference oxygen) are compared with hourly values and with daily means. Only valid
CEMS hours count (HJ 75-2017 / HJ 212 data flag N or S, or no flag for file data); a daily mean needs at least
20 valid hours (HJ 76-2017 Annex B). The SQL is returned as text so the CLI and the async API share it.

Loads: emitted mass = concentration × flow per hour (`standards.emission.emission_load`), summed over the hours
where both the pollutant and the outlet's flow (HJ 212 a00000 flue gas, w00000 wastewater) are valid; hours
without a valid pair are skipped, not estimated. Permitted totals (排污许可证 许可排放量) are annual, so the
year to date (1 January .. the period's last day) is compared with them, per outlet and for the whole plant.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import polars as pl

from ecomon.standards.emission import MIN_VALID_HOURS, VALID_FLAGS, emission_load

COLUMNS = ("enterprise", "uscc", "outlet_code", "outlet", "parameter_code", "parameter", "unit", "limit",
           "standard", "valid_hours", "exceed_hours", "max_value", "max_multiple", "valid_days", "exceed_days",
           "first_exceedance", "last_exceedance")


def exceedance_query(first: dt.date, last: dt.date, tz: str, scope_sql: str,
                     scope_args: list[object]) -> tuple[str, list[object]]:
    """Per outlet and limited parameter with at least one exceedance in first..last (series alias se)."""
    lo = dt.datetime.combine(first, dt.time(), ZoneInfo(tz))
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), ZoneInfo(tz))
    sql = f"""
        WITH hours AS (
            SELECT se.outlet_id, se.parameter_code, (ol.limits->>se.parameter_code)::float AS lim,
                   (o.t AT TIME ZONE %s)::date AS day, o.t, o.value,
                   (o.data_flag IS NULL OR o.data_flag = ANY(%s)) AND o.qc_flag NOT IN (4, 9) AS ok
            FROM observation o JOIN series se ON se.id = o.series_id JOIN outlet ol ON ol.id = se.outlet_id
            WHERE se.interval_kind = 'hour' AND ol.limits ? se.parameter_code AND o.value IS NOT NULL
              AND o.t >= %s AND o.t < %s AND {scope_sql}),
        days AS (
            SELECT outlet_id, parameter_code, lim, day, count(*) FILTER (WHERE ok) AS valid_hours,
                   count(*) FILTER (WHERE ok AND value > lim) AS exceed_hours,
                   max(value) FILTER (WHERE ok) AS max_value, avg(value) FILTER (WHERE ok) AS mean,
                   min(t) FILTER (WHERE ok AND value > lim) AS first_t, max(t) FILTER (WHERE ok AND value > lim) AS last_t
            FROM hours GROUP BY 1, 2, 3, 4)
        SELECT e.name_zh, e.uscc, ol.code, ol.name_zh, d.parameter_code, p.name_zh, p.unit, d.lim,
               ol.emission_standard, sum(d.valid_hours)::integer, sum(d.exceed_hours)::integer, max(d.max_value),
               round(((max(d.max_value) - d.lim) / nullif(d.lim, 0))::numeric, 2)::float,
               count(*) FILTER (WHERE d.valid_hours >= %s)::integer,
               count(*) FILTER (WHERE d.valid_hours >= %s AND d.mean > d.lim)::integer,
               min(d.first_t), max(d.last_t)
        FROM days d JOIN outlet ol ON ol.id = d.outlet_id JOIN enterprise e ON e.id = ol.enterprise_id
             JOIN parameter p ON p.code = d.parameter_code
        GROUP BY e.name_zh, e.uscc, ol.code, ol.name_zh, d.parameter_code, p.name_zh, p.unit, d.lim, ol.emission_standard
        HAVING sum(d.exceed_hours) > 0
        ORDER BY e.name_zh, ol.code, d.parameter_code"""
    return sql, [tz, sorted(VALID_FLAGS), lo, hi, *scope_args, MIN_VALID_HOURS, MIN_VALID_HOURS]


FLOW_CODES = {"gas": "a00000", "water": "w00000"}
"""HJ 212-2017 Tables B.1/B.2: the flow factor of each outlet kind."""
DOMAINS = {"gas": "flue_gas", "water": "water"}
"""Outlet kind → the parameter domain its stored units belong to (registry vocabulary)."""
LOAD_COLUMNS = ("enterprise", "uscc", "permit_number", "outlet_code", "outlet", "parameter_code", "parameter",
                "hours", "emitted_t", "hours_ytd", "emitted_ytd_t", "permitted_t", "permit_share", "permit_exceeded")
WHOLE_PLANT = ""
"""outlet_code of the whole-plant rows (the sum of the enterprise's outlets)."""


def load_query(first: dt.date, last: dt.date, tz: str, scope_sql: str,
               scope_args: list[object]) -> tuple[str, list[object]]:
    """Σ concentration × flow and paired valid hours per outlet and pollutant, in first..last and year to date.

    Pollutants: those with a limit or a permitted total on the outlet, or a whole-plant permitted total.
    """
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(first, dt.time(), zone)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    year = dt.datetime.combine(dt.date(last.year, 1, 1), dt.time(), zone)
    start = min(lo, year)
    valid = "(o.data_flag IS NULL OR o.data_flag = ANY(%s)) AND o.qc_flag NOT IN (4, 9) AND o.value IS NOT NULL"
    flags, flow_map, domains = sorted(VALID_FLAGS), json.dumps(FLOW_CODES), json.dumps(DOMAINS)
    sql = f"""
        WITH conc AS (
            SELECT se.outlet_id, se.parameter_code, o.t, o.value
            FROM observation o JOIN series se ON se.id = o.series_id JOIN outlet ol ON ol.id = se.outlet_id
                 JOIN enterprise e ON e.id = ol.enterprise_id
            WHERE se.interval_kind = 'hour' AND se.parameter_code <> ALL(%s)
              AND (ol.limits ? se.parameter_code OR ol.permitted_totals ? se.parameter_code
                   OR e.permitted_totals ? se.parameter_code)
              AND o.t >= %s AND o.t < %s AND {valid} AND {scope_sql}),
        flow AS (
            SELECT se.outlet_id, o.t, o.value
            FROM observation o JOIN series se ON se.id = o.series_id JOIN outlet ol ON ol.id = se.outlet_id
            WHERE se.interval_kind = 'hour' AND se.parameter_code = (%s::jsonb ->> ol.kind)
              AND se.outlet_id IN (SELECT outlet_id FROM conc)
              AND o.t >= %s AND o.t < %s AND {valid}),
        pairs AS (
            SELECT c.outlet_id, c.parameter_code, c.t, c.value * f.value AS cq
            FROM conc c JOIN flow f ON f.outlet_id = c.outlet_id AND f.t = c.t)
        SELECT e.id, e.name_zh, e.uscc, e.permit_number, ol.code, ol.name_zh, ol.kind, x.parameter_code, p.name_zh,
               cu.unit, fu.unit,
               count(*) FILTER (WHERE x.t >= %s)::integer, coalesce(sum(x.cq) FILTER (WHERE x.t >= %s), 0),
               count(*) FILTER (WHERE x.t >= %s)::integer, coalesce(sum(x.cq) FILTER (WHERE x.t >= %s), 0),
               (ol.permitted_totals ->> x.parameter_code)::float, (e.permitted_totals ->> x.parameter_code)::float
        FROM pairs x JOIN outlet ol ON ol.id = x.outlet_id JOIN enterprise e ON e.id = ol.enterprise_id
             JOIN parameter p ON p.code = x.parameter_code
             LEFT JOIN parameter_unit cu ON cu.code = x.parameter_code AND cu.element = %s::jsonb ->> ol.kind
             LEFT JOIN parameter_unit fu ON fu.code = %s::jsonb ->> ol.kind
                                        AND fu.element = %s::jsonb ->> ol.kind
        GROUP BY e.id, e.name_zh, e.uscc, e.permit_number, ol.code, ol.name_zh, ol.kind, x.parameter_code, p.name_zh,
                 cu.unit, fu.unit, ol.permitted_totals, e.permitted_totals
        ORDER BY e.name_zh, ol.code, x.parameter_code"""
    return sql, [sorted(FLOW_CODES.values()), start, hi, flags, *scope_args,   # conc
                 flow_map, start, hi, flags,                                   # flow
                 lo, lo, year, year,                                           # period and year-to-date sums
                 domains, flow_map, domains]                                   # units


def emission_loads(rows: list[tuple]) -> pl.DataFrame:
    """LOAD_COLUMNS per outlet and pollutant, plus whole-plant rows where the enterprise has a permitted total.

    Σ(C·Q) converts to kg in one step because the load is linear in C·Q for fixed units.
    """
    records = []
    plants: dict[tuple, dict] = {}
    for (ent_id, ent, uscc, permit, code, name, _kind, param, param_name, c_unit, q_unit,
         hours, cq, hours_ytd, cq_ytd, outlet_permit, plant_permit) in rows:
        emitted, emitted_ytd = (_tonnes(v, c_unit, q_unit) for v in (cq, cq_ytd))
        base = {"enterprise": ent, "uscc": uscc, "permit_number": permit, "parameter_code": param,
                "parameter": param_name}
        records.append({**base, "outlet_code": code, "outlet": name, "hours": hours, "emitted_t": emitted,
                        "hours_ytd": hours_ytd, "emitted_ytd_t": emitted_ytd, **_usage(emitted_ytd, outlet_permit)})
        if plant_permit is not None:
            plant = plants.setdefault((ent_id, param), {**base, "outlet_code": WHOLE_PLANT, "outlet": None,
                                                        "hours": None, "emitted_t": 0.0, "hours_ytd": None,
                                                        "emitted_ytd_t": 0.0, "permit": plant_permit})
            plant["emitted_t"] = _add(plant["emitted_t"], emitted)
            plant["emitted_ytd_t"] = _add(plant["emitted_ytd_t"], emitted_ytd)
    for plant in plants.values():
        records.append({**plant, **_usage(plant["emitted_ytd_t"], plant.pop("permit"))})
    schema = {c: pl.Float64 for c in ("emitted_t", "emitted_ytd_t", "permitted_t", "permit_share")}
    schema |= {c: pl.Int64 for c in ("hours", "hours_ytd")} | {"permit_exceeded": pl.Boolean}
    frame = pl.DataFrame(records, schema={c: schema.get(c, pl.Utf8) for c in LOAD_COLUMNS})
    return frame.sort("enterprise", "parameter_code", pl.col("outlet_code") == WHOLE_PLANT, "outlet_code")


def _tonnes(sum_cq: float, c_unit: str | None, q_unit: str | None) -> float | None:
    """Σ(C·Q) over hours → tonnes; None when a unit is not one `standards.emission` converts (no guessing)."""
    try:
        return float(emission_load(sum_cq, 1.0, 1.0, _unit(c_unit), _unit(q_unit))) / 1000.0
    except ValueError:
        return None


def _add(total: float | None, part: float | None) -> float | None:
    """A plant total is unknown as soon as one outlet's load is."""
    return None if total is None or part is None else total + part


def _usage(emitted_t: float | None, permitted_t: float | None) -> dict[str, object]:
    if emitted_t is None or permitted_t is None or permitted_t <= 0:
        return {"permitted_t": permitted_t, "permit_share": None, "permit_exceeded": None}
    return {"permitted_t": permitted_t, "permit_share": emitted_t / permitted_t,
            "permit_exceeded": emitted_t > permitted_t}


def _unit(text: str | None) -> str:
    """Registry unit text (mg/m³, µg/L, m³/s) → the keys of `standards.emission` (mg/m3, ug/L, m3/s)."""
    return (text or "").replace("³", "3").replace("µ", "u").replace("μ", "u")
