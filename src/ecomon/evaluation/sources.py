"""Exceedances of pollution-source outlets against the limits recorded on each outlet.

An outlet's `limits` (HJ 212 code → limit in the stored unit, from its emission standard, e.g. GB 13271-2014
Table 2 as converted to reference oxygen) are compared with hourly values and with daily means. Only valid
CEMS hours count (HJ 75-2017 / HJ 212 data flag N or S, or no flag for file data); a daily mean needs at least
20 valid hours (HJ 76-2017 Annex B). The SQL is returned as text so the CLI and the async API share it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ecomon.standards.emission import MIN_VALID_HOURS, VALID_FLAGS

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
