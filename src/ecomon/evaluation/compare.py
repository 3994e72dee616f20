"""The same days under HJ 633-2012 and HJ 633-2026: which days change level, good-day rates under each.

HJ 633-2026 lowered the IAQI-100 breakpoints of PM10 (150 → 120 µg/m³) and PM2.5 (75 → 60 µg/m³), dropped the
O3 1-h value from the daily AQI and rounds inputs (GB/T 8170), so the same day can change level; GB 3095-2026
limits follow the rule set in the good-day counting (a day counts when all six items are valid or AQI > 100).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import psycopg

from ecomon.evaluation import inputs
from ecomon.evaluation.assessment import daily_places
from ecomon.evaluation.places import air_stations, region_names
from ecomon.standards import air_assessment, aqi
from ecomon.standards.rulesets import AQI_RULESETS


def compare_daily(daily: pl.DataFrame, stations: pl.DataFrame) -> pl.DataFrame:
    """Per place (stations "site:<id>", regions by code) and day: AQI and level under both rule sets."""
    places = daily_places(daily, stations)
    joined = None
    for rule in AQI_RULESETS:
        suffix = rule[-4:]
        rated = air_assessment.daily_aqi(places, rule).select(
            "station", "date", pl.col("AQI").alias(f"aqi_{suffix}"), pl.col("aqi_counted").alias(f"counted_{suffix}"))
        rated = rated.with_columns(pl.Series(f"level_{suffix}", aqi.level_of(
            rated[f"aqi_{suffix}"].fill_null(float("nan")).to_numpy())))
        joined = rated if joined is None else joined.join(rated, on=["station", "date"])
    return joined  # type: ignore[return-value]


def summarise(days: pl.DataFrame) -> pl.DataFrame:
    """Per place: days with an AQI, days whose level changes, worse/better, good-day rates under each rule set."""
    def good_rate(suffix: str) -> pl.Expr:
        counted = pl.col(f"counted_{suffix}")
        good = counted & (pl.col(f"aqi_{suffix}") <= air_assessment.GOOD_AT_MOST)
        return (100 * good.sum() / counted.sum()).round(1).alias(f"good_rate_{suffix}")

    has = pl.col("level_2012") > 0
    return days.group_by("station").agg(
        has.sum().alias("days"),
        (has & (pl.col("level_2012") != pl.col("level_2026"))).sum().alias("changed_days"),
        (has & (pl.col("level_2026") > pl.col("level_2012"))).sum().alias("worse_days"),
        (has & (pl.col("level_2026") < pl.col("level_2012"))).sum().alias("better_days"),
        good_rate("2012"), good_rate("2026"),
    ).sort("station")


def compare(conn: psycopg.Connection, first: dt.date, last: dt.date, tz: str) -> pl.DataFrame:
    """`summarise` for every air station, district and city over first..last, with place names."""
    stations = air_stations(conn)
    daily = inputs.daily_inputs(conn, stations.ids, first, last, tz)
    summary = summarise(compare_daily(daily, stations.frame))
    codes = [s for s in summary["station"].to_list() if not s.startswith("site:")]
    names = {f"site:{i}": f"{c} {n}" for i, c, n in stations.frame.select("site_id", "code", "name_zh").iter_rows()}
    names |= {code: f"{code} {name}" for code, name in region_names(conn, codes).items()}
    return summary.with_columns(pl.col("station").replace_strict(names, default=pl.col("station")).alias("place")
                                ).drop("station").select("place", pl.exclude("place"))
