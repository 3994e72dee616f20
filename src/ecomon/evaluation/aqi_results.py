"""Hourly and daily AQI of stations and regions from stored inputs, written to `aqi_result`.

The AQI itself is `standards.aqi.compute` (HJ 633-2012 / HJ 633-2026); this module averages
stations into districts and cities (the arithmetic mean of station values, then the AQI of the means, as
HJ 663 does for a city) and records coverage, publishability and the review state of the inputs. Coverage
and publishability count only the items of the place's monitoring plan (`places.air_stations`): HJ 633-2026
exempts pollutants a station does not monitor.
The caller names the rule set (the runner picks the one in force per month unless the user asks for another).
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import polars as pl
import psycopg

from ecomon.standards import aqi
from ecomon.standards.rulesets import AqiRuleSet

RESULT_COLUMNS = ("site_id", "region_code", "period", "t", "rule_set", "aqi", "level", "primary_pollutants",
                  "iaqi", "inputs", "items_valid", "items_expected", "publishable", "stations", "review_state")


def with_regions(frame: pl.DataFrame, stations: pl.DataFrame, time: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """Station rows plus one row per district and city and time: the mean of the stations' valid values.

    A region monitors what any of its stations monitors (every station of the region, not only those
    reporting that hour, so a station's outage never makes an item look unmonitored).
    """
    placed = frame.join(stations.select("site_id", "district", "city", "monitored"), on="site_id", how="inner")
    station_rows = placed.select("site_id", pl.lit(None, dtype=pl.Utf8).alias("region_code"), time,
                                 *columns, pl.lit(None, dtype=pl.Int16).alias("stations"), "review_state", "monitored")
    regional = [
        placed.filter(pl.col(level).is_not_null()).group_by(pl.col(level).alias("region_code"), time).agg(
            *(pl.col(c).mean() for c in columns),
            pl.len().cast(pl.Int16).alias("stations"),
            pl.col("review_state").min(),
        ).join(_region_plans(stations, level), on="region_code", how="left")
        .select(pl.lit(None, dtype=pl.Int64).alias("site_id"), "region_code", time, *columns, "stations",
                "review_state", "monitored")
        for level in ("district", "city")
    ]
    return pl.concat([station_rows, *regional], how="vertical_relaxed")


def _region_plans(stations: pl.DataFrame, level: str) -> pl.DataFrame:
    """region_code → union of its stations' monitored items, as a monitored key."""
    return (stations.filter(pl.col(level).is_not_null())
            .select(pl.col(level).alias("region_code"), pl.col("monitored").str.split(",").alias("item"))
            .explode("item").filter(pl.col("item") != "").group_by("region_code")
            .agg(pl.col("item").unique().sort().str.join(",").alias("monitored")))


def evaluate(frame: pl.DataFrame, *, time: str, period: str, tz: str, rule_set: AqiRuleSet) -> pl.DataFrame:
    """AQI rows (RESULT_COLUMNS) for a frame of places × times with the input columns of `period`."""
    if not frame.height:
        return pl.DataFrame(schema=_RESULT_SCHEMA)
    frame = frame.with_columns(rule_set=pl.lit(rule_set), monitored=pl.col("monitored").fill_null(""))
    result = pl.concat([_evaluate_one(part, rule_set, period, time)
                        for part in frame.partition_by("monitored", maintain_order=True)])
    if time == "date":
        result = result.with_columns(pl.col("t").cast(pl.Datetime("us")).dt.replace_time_zone(tz)
                                     .dt.convert_time_zone("UTC"))
    return result.select(RESULT_COLUMNS)


_RESULT_SCHEMA = {"site_id": pl.Int64, "region_code": pl.Utf8, "period": pl.Utf8, "t": pl.Datetime("us", "UTC"),
                  "rule_set": pl.Utf8, "aqi": pl.Int16, "level": pl.Int16, "primary_pollutants": pl.List(pl.Utf8),
                  "iaqi": pl.Utf8, "inputs": pl.Utf8, "items_valid": pl.Int16, "items_expected": pl.Int16,
                  "publishable": pl.Boolean, "stations": pl.Int16, "review_state": pl.Int16}


def _evaluate_one(rows: pl.DataFrame, rule: AqiRuleSet, period: str, time: str) -> pl.DataFrame:
    read = [c for c in aqi.input_columns(rule, period) if c in rows.columns]
    values = {c: rows[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in read}
    monitored = set(filter(None, rows["monitored"][0].split(",")))
    feeds = [feed for feed in aqi.feeds(rule, period) if feed.pollutant in monitored]
    not_monitored = {feed.pollutant for feed in aqi.feeds(rule, period)} - monitored
    result = aqi.compute(values, standard=rule, period=period, not_monitored=not_monitored)
    iaqi = pl.DataFrame({c: pl.Series(result.iaqi[:, i], nan_to_null=True).cast(pl.Int16)
                         for i, c in enumerate(result.columns)})
    primary = aqi.names_where(result.primary, result.columns)
    present = ~np.isnan(result.iaqi[:, [i for i, p in enumerate(result.pollutants) if p in monitored]])
    return pl.DataFrame({
        "site_id": rows["site_id"], "region_code": rows["region_code"],
        "period": [period] * rows.height, "t": rows[time], "rule_set": rows["rule_set"],
        "aqi": pl.Series(result.aqi, nan_to_null=True).cast(pl.Int16),
        "level": pl.Series(result.level).cast(pl.Int16),
        "primary_pollutants": pl.Series(primary, dtype=pl.Utf8).str.split(";").list.filter(pl.element() != ""),
        "iaqi": _json(iaqi),
        "inputs": _json(rows.select(pl.col(c).round(3) for c in read)),
        "items_valid": pl.Series(present.sum(axis=1)).cast(pl.Int16),
        "items_expected": [len(feeds)] * rows.height,
        "publishable": result.publish, "stations": rows["stations"], "review_state": rows["review_state"],
    }, schema_overrides={"items_expected": pl.Int16})


def _json(frame: pl.DataFrame) -> pl.Series:
    if not frame.width:
        return pl.Series(["{}"] * frame.height)
    return frame.select(pl.struct(frame.columns).struct.json_encode())[:, 0]


def replace(conn: psycopg.Connection, results: pl.DataFrame, *, period: str, rule_set: AqiRuleSet,
            span: tuple[dt.datetime, dt.datetime], site_ids: list[int], regions: list[str]) -> int:
    """Replace every stored result of these places, period and rule set in [span) by `results`.

    Replacing the whole span (not only the keys computed now) also removes results of hours or days whose inputs
    were withdrawn by a revision. Returns rows written.
    """
    with conn.cursor() as cur:
        cur.execute(
            """DELETE FROM aqi_result WHERE period = %s AND rule_set = %s AND t >= %s AND t < %s
               AND (site_id = ANY(%s) OR region_code = ANY(%s))""", (period, rule_set, *span, site_ids, regions))
        if not results.height:
            return 0
        _copy(cur, "aqi_result", results.with_columns(
            pl.concat_str(pl.lit("{"), pl.col("primary_pollutants").list.join(","), pl.lit("}"))
            .alias("primary_pollutants")))
    return results.height


def _copy(cur: psycopg.Cursor, table: str, frame: pl.DataFrame) -> None:
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S+00:00", null_value="")
    with cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buf.getvalue())
