"""Monthly and annual air assessment of stations, districts and cities, written to `air_assessment_result`.

The statistics are `standards.air_assessment` (HJ 663 with GB 3095 limits): period means, HJ 663 Annex A
percentiles, Table 4 validity, good-day and heavy-pollution days, composite index and, for years, compliance.
Regions use the daily mean of their stations' valid values (as `regional_daily`). Rule sets: with `rule_set`
None each day's AQI follows the HJ 633 version in force on its date and the period is labelled with the one in
force on its last day; limits are GB 3095-2012 under the 2012 rules and GB 3095-2026 (transitional until
2030-12-31) under the 2026 rules, whatever the period, so a 2015 month can be re-assessed under 2026 rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl
import psycopg

from ecomon.evaluation.aqi_results import _copy
from ecomon.standards import air_assessment
from ecomon.standards.rulesets import (
    FINAL_LIMITS_FROM,
    IN_FORCE_2026,
    AqiRuleSet,
    LimitRuleSet,
    aqi_ruleset_on,
)

Period = Literal["month", "year"]
RESULT_COLUMNS = ("site_id", "region_code", "period", "period_start", "rule_set", "limit_set", "aqi_days",
                  "good_days", "heavy_days", "good_rate", "composite", "composite_primary", "compliant",
                  "statistics", "stations")
_HEADLINE = ("aqi_days", "good_days", "heavy_days", "good_rate", "composite", "composite_primary", "compliant")


def limit_set_for(rule_set: AqiRuleSet, last_day: dt.date) -> LimitRuleSet:
    """GB 3095 limits that go with an HJ 633 rule set for a period ending on `last_day`."""
    if rule_set == "HJ633-2012":
        return "GB3095-2012"
    return "GB3095-2026" if max(last_day, IN_FORCE_2026) >= FINAL_LIMITS_FROM else "GB3095-2026-transitional"


def period_end(period: Period, start: dt.date) -> dt.date:
    if period == "year":
        return dt.date(start.year, 12, 31)
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def daily_places(daily: pl.DataFrame, stations: pl.DataFrame) -> pl.DataFrame:
    """The engine's daily frame (station, date, items): stations keyed "site:<id>", regions by region code."""
    placed = daily.join(stations.select("site_id", "district", "city"), on="site_id", how="inner")
    frames = [placed.select(pl.format("site:{}", pl.col("site_id")).alias("station"), "date",
                            *air_assessment.DAILY_COLUMNS, pl.lit(None, dtype=pl.UInt32).alias("stations"))]
    for level in ("district", "city"):
        rows = placed.filter(pl.col(level).is_not_null())
        frames.append(rows.group_by(pl.col(level).alias("station"), "date").agg(
            *(pl.col(c).mean() for c in air_assessment.DAILY_COLUMNS),
            pl.col("site_id").n_unique().alias("stations")))
    return pl.concat(frames, how="vertical_relaxed")


def assess(daily: pl.DataFrame, stations: pl.DataFrame, period: Period, *,
           rule_set: AqiRuleSet | None = None, grade: int = 2) -> pl.DataFrame:
    """Assessment rows (RESULT_COLUMNS) for every place and `period` the daily frame (site_id, date, …) covers."""
    places = daily_places(daily, stations)
    if not places.height:
        return pl.DataFrame()
    starts = places.select(pl.col("date").dt.truncate("1mo" if period == "month" else "1y"))["date"]
    places = places.with_columns(starts.alias("period_start"))
    parts = []
    for (start,), rows in places.group_by("period_start", maintain_order=True):
        last = period_end(period, start)
        chosen: AqiRuleSet = rule_set or aqi_ruleset_on(last)
        limits = limit_set_for(chosen, last)
        with_aqi = air_assessment.daily_aqi(rows, rule_set)
        stats = air_assessment.period_statistics(with_aqi, period=period, limits=limits, grade=grade)
        counts = rows.group_by("station").agg(pl.col("stations").max())
        stats = stats.join(counts, on="station", how="left")
        parts.append(stats.with_columns(period_start=pl.lit(start), rule_set=pl.lit(chosen), limit_set=pl.lit(limits)))
    return _as_rows(pl.concat(parts, how="diagonal_relaxed"), period)


def _as_rows(stats: pl.DataFrame, period: Period) -> pl.DataFrame:
    if "compliant" not in stats.columns:
        stats = stats.with_columns(compliant=pl.lit(None, dtype=pl.Boolean))
    detail = [c for c in stats.columns
              if c not in (*_HEADLINE, "station", "period", "period_start", "rule_set", "limit_set", "stations")]
    is_station = pl.col("station").str.starts_with("site:")
    return stats.select(
        pl.when(is_station).then(pl.col("station").str.strip_prefix("site:").cast(pl.Int64)).alias("site_id"),
        pl.when(~is_station).then(pl.col("station")).alias("region_code"),
        pl.lit(period).alias("period"), "period_start", "rule_set", "limit_set",
        *(pl.col(c) for c in _HEADLINE),
        pl.struct(detail).struct.json_encode().alias("statistics"),
        pl.col("stations").cast(pl.Int16),
    )


def store(conn: psycopg.Connection, results: pl.DataFrame) -> int:
    """Replace stored assessments with the same keys; returns rows written."""
    if not results.height:
        return 0
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS assessment_stage (LIKE air_assessment_result "
                    "INCLUDING DEFAULTS) ON COMMIT DROP")
        cur.execute("TRUNCATE assessment_stage")
        _copy(cur, "assessment_stage", results.select(RESULT_COLUMNS))
        cur.execute(
            """DELETE FROM air_assessment_result r USING assessment_stage s
               WHERE coalesce(r.site_id, 0) = coalesce(s.site_id, 0)
                 AND coalesce(r.region_code, '') = coalesce(s.region_code, '')
                 AND r.period = s.period AND r.period_start = s.period_start AND r.rule_set = s.rule_set""")
        cur.execute(f"INSERT INTO air_assessment_result ({', '.join(RESULT_COLUMNS)}) "
                    f"SELECT {', '.join(RESULT_COLUMNS)} FROM assessment_stage")
        return cur.rowcount
