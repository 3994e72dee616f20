"""Ambient gamma dose rate of automatic radiation stations against their own baseline and local background.

Each station's baseline is the mean and standard deviation of its valid hourly readings in the `BASELINE_DAYS`
before the period (`standards.radiation.baseline`; the national network's practice of mean + 3σ as the
investigation level); readings of the period above it are counted. When the registry gives the published local
natural background range (`attrs.background_low` / `attrs.background_high`, nGy/h), the period mean is judged
against it (`standards.radiation.background_verdict`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from ecomon.evaluation.env_results import Result
from ecomon.standards import radiation

DOSE_RATE = "x02001"
BASELINE_DAYS = 365


def hourly_query(first: dt.date, last: dt.date, tz: str, scope_sql: str,
                 scope_args: list[object]) -> tuple[str, list[object]]:
    """Per gamma station (site alias s, scoped): the valid hourly dose rates of the baseline year before `first`
    and of first..last, as two arrays (one row per station, not per hour), and the period's lowest review state."""
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(first, dt.time(), zone)
    lo = start - dt.timedelta(days=BASELINE_DAYS)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    sql = f"""
        SELECT s.id, s.code, s.name_zh, s.region_code, (s.attrs->>'background_low')::float,
               (s.attrs->>'background_high')::float,
               coalesce(array_agg(o.value) FILTER (WHERE o.t < %s), '{{}}'),
               coalesce(array_agg(o.value) FILTER (WHERE o.t >= %s), '{{}}'),
               min(o.review_state) FILTER (WHERE o.t >= %s)
        FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
        WHERE s.element = 'radiation' AND s.site_type = 'gamma' AND se.interval_kind = 'hour'
          AND se.parameter_code = %s AND o.value IS NOT NULL AND o.qc_flag NOT IN (4, 9)
          AND o.t >= %s AND o.t < %s AND {scope_sql}
        GROUP BY 1, 2, 3, 4, 5, 6
        ORDER BY 2"""
    return sql, [start, start, start, DOSE_RATE, lo, hi, *scope_args]


def station_summary(rows: list[tuple], k: float = radiation.DEFAULT_SIGMA_MULTIPLE) -> pl.DataFrame:
    """Per station with readings in the period: readings, mean/min/max in the period, baseline (mean, sd, n),
    investigation level, readings above it, the verdict against the local background range when known, and the
    lowest review state of the period's readings."""
    result = []
    for site_id, code, name, region, low, high, before, during, review_state in rows:
        period = np.asarray(during, dtype=np.float64)
        if not period.size:
            continue
        history = np.asarray(before, dtype=np.float64)
        base = radiation.baseline(history) if history.size >= 2 else None
        level = base.investigation_level(k) if base else None
        mean = float(period.mean())
        verdict = (str(radiation.background_verdict(np.array([mean]), low, high)[0])
                   if low is not None and high is not None else None)
        result.append({
            "site_id": site_id, "code": code, "name_zh": name, "region_code": region, "readings": int(period.size),
            "mean": round(mean, 1), "min": float(period.min()), "max": float(period.max()),
            "baseline_mean": round(base.mean, 1) if base else None, "baseline_sd": round(base.sd, 2) if base else None,
            "baseline_readings": base.count if base else 0,
            "investigation_level": round(level, 1) if level is not None else None,
            "above_investigation": int(np.count_nonzero(period > level)) if level is not None else None,
            "background_low": low, "background_high": high, "background_verdict": verdict,
            "review_state": int(review_state),
        })
    return pl.DataFrame(result, infer_schema_length=None).sort("code") if result else pl.DataFrame()


RULE_SET = f"baseline mean+{radiation.DEFAULT_SIGMA_MULTIPLE:g}σ/{BASELINE_DAYS}d"
"""The rule set stored with monthly results: ecomon's investigation level (no national alarm threshold)."""


def month_results(summary: pl.DataFrame, month: dt.date) -> list[Result]:
    """Each station's month as stored: mean dose rate, readings of the month's hours, background verdict."""
    hours = 24 * calendar.monthrange(month.year, month.month)[1]
    return [Result(
        site_id=r["site_id"], period="month", period_start=month, rule_set=RULE_SET, inputs_valid=r["readings"],
        inputs_expected=hours, verdict=r["background_verdict"], value=r["mean"], review_state=r["review_state"],
        detail={k: v for k, v in r.items() if k not in ("site_id", "code", "name_zh", "region_code", "review_state")},
    ) for r in summary.to_dicts()]


def summary_from_stored(rows: list[dict]) -> list[dict]:
    """Stored monthly rows (`env_results.as_dicts`) in the shape of `station_summary` rows."""
    return [{"site_id": r["site_id"], "code": r["code"], "name_zh": r["name_zh"], "region_code": r["region_code"],
             **r["detail"], "review_state": r["review_state"]} for r in rows]
