"""Reading the inputs of the AQI from the store: valid daily aggregates and hourly observations.

Daily inputs are the aggregates built by `store.aggregates` under GB 3095 Table 4 (24-h mean >= 20 hours,
O3 daily maximum 8-h mean from >= 14 valid windows, or fewer when it already exceeds 160 µg/m³); only valid aggregates are used. Hourly inputs are the
1-h observations (QC fail/missing excluded) plus the moving means HJ 633-2012 real-time AQI needs: 24-h means
of PM10, PM2.5 and SO2 (>= 20 of 24 hours) and the O3 8-h mean (>= 6 of 8 hours), GB 3095 Table 4.
A natural day holds the hours labelled 00:00 .. 23:00 local time, as in the aggregates.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import psycopg

from ecomon.evaluation.places import AIR_PARAMETERS

HOURLY_COLUMNS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")
MOVING = {"PM10_24h": ("PM10", 24, 20), "PM2.5_24h": ("PM2.5", 24, 20), "SO2_24h": ("SO2", 24, 20),
          "O3_8h": ("O3", 8, 6)}
"""Moving means for the real-time AQI: column → (hourly item, window hours, minimum valid hours)."""
DAILY_COLUMNS = ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3", "O3_8h")
_VALID_OBS = "o.value IS NOT NULL AND o.qc_flag NOT IN (4, 9)"


def local_midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZoneInfo(tz))


def daily_inputs(conn: psycopg.Connection, site_ids: list[int], first: dt.date, last: dt.date,
                 tz: str) -> pl.DataFrame:
    """Wide daily frame: site_id, date, SO2 … O3_8h (valid values, else null), review_state (lowest of the day)."""
    lo, hi = local_midnight(first, tz), local_midnight(last + dt.timedelta(days=1), tz)
    rows = conn.execute(
        """SELECT se.site_id, (a.t AT TIME ZONE %(tz)s)::date, se.parameter_code, a.kind, a.value
           FROM aggregate a JOIN series se ON se.id = a.series_id
           WHERE se.site_id = ANY(%(ids)s) AND se.interval_kind = 'hour' AND se.parameter_code = ANY(%(codes)s)
             AND a.kind IN ('day', 'day_max', 'o3_8h_max') AND a.valid AND a.t >= %(lo)s AND a.t < %(hi)s""",
        {"tz": tz, "ids": site_ids, "codes": list(AIR_PARAMETERS), "lo": lo, "hi": hi}).fetchall()
    long = pl.DataFrame(rows, schema={"site_id": pl.Int64, "date": pl.Date, "code": pl.Utf8, "kind": pl.Utf8,
                                      "value": pl.Float64}, orient="row")
    o3 = pl.col("code") == "a05024"
    long = long.with_columns(
        column=pl.when(pl.col("kind") == "o3_8h_max").then(pl.lit("O3_8h"))
        .when(o3 & (pl.col("kind") == "day_max")).then(pl.lit("O3"))
        .when(~o3 & (pl.col("kind") == "day")).then(pl.col("code").replace_strict(AIR_PARAMETERS, default=None))
    ).filter(pl.col("column").is_not_null())
    wide = _pivot(long, ["site_id", "date"], DAILY_COLUMNS)
    review = conn.execute(
        f"""SELECT se.site_id, (o.t AT TIME ZONE %(tz)s)::date, min(o.review_state)
            FROM observation o JOIN series se ON se.id = o.series_id
            WHERE se.site_id = ANY(%(ids)s) AND se.interval_kind = 'hour' AND se.parameter_code = ANY(%(codes)s)
              AND o.t >= %(lo)s AND o.t < %(hi)s AND {_VALID_OBS}
            GROUP BY 1, 2""",
        {"tz": tz, "ids": site_ids, "codes": list(AIR_PARAMETERS), "lo": lo, "hi": hi}).fetchall()
    states = pl.DataFrame(review, schema={"site_id": pl.Int64, "date": pl.Date, "review_state": pl.Int16},
                          orient="row")
    return wide.join(states, on=["site_id", "date"], how="left").with_columns(
        pl.col("review_state").fill_null(0)).sort("site_id", "date")


def hourly_inputs(conn: psycopg.Connection, site_ids: list[int], first: dt.date, last: dt.date,
                  tz: str) -> pl.DataFrame:
    """Wide hourly frame on a regular grid: site_id, t (UTC), 1-h values, moving means, review_state.

    Hours without any value are dropped; the 23 hours before `first` are read only to fill the moving means.
    """
    lo, hi = local_midnight(first, tz), local_midnight(last + dt.timedelta(days=1), tz)
    lead = lo - dt.timedelta(hours=23)
    rows = conn.execute(
        f"""SELECT se.site_id, o.t, se.parameter_code, o.value, o.review_state
            FROM observation o JOIN series se ON se.id = o.series_id
            WHERE se.site_id = ANY(%(ids)s) AND se.interval_kind = 'hour' AND se.parameter_code = ANY(%(codes)s)
              AND o.t >= %(lead)s AND o.t < %(hi)s AND {_VALID_OBS}""",
        {"ids": site_ids, "codes": list(AIR_PARAMETERS), "lead": lead, "hi": hi}).fetchall()
    long = pl.DataFrame(rows, schema={"site_id": pl.Int64, "t": pl.Datetime("us", "UTC"), "code": pl.Utf8,
                                      "value": pl.Float64, "review_state": pl.Int16}, orient="row")
    long = long.with_columns(column=pl.col("code").replace_strict(AIR_PARAMETERS))
    wide = _pivot(long, ["site_id", "t"], HOURLY_COLUMNS)
    states = long.group_by("site_id", "t").agg(pl.col("review_state").min())
    hours = pl.datetime_range(lead.astimezone(dt.UTC), (hi - dt.timedelta(hours=1)).astimezone(dt.UTC), "1h", time_unit="us", time_zone="UTC", eager=True)
    grid = pl.DataFrame({"site_id": site_ids}, schema={"site_id": pl.Int64}).join(
        pl.DataFrame({"t": hours}), how="cross")
    frame = grid.join(wide, on=["site_id", "t"], how="left").sort("site_id", "t")
    frame = frame.with_columns(
        pl.col(item).rolling_mean(window_size=hours_, min_samples=minimum).over("site_id").alias(name)
        for name, (item, hours_, minimum) in MOVING.items()
    )
    frame = frame.join(states, on=["site_id", "t"], how="inner")  # hours with at least one value
    return frame.filter(pl.col("t") >= lo.astimezone(dt.UTC)).sort("site_id", "t")


def _pivot(long: pl.DataFrame, index: list[str], columns: tuple[str, ...]) -> pl.DataFrame:
    if long.height:
        wide = long.pivot(on="column", index=index, values="value", aggregate_function="first")
    else:
        wide = long.select(index)
    return wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in columns if c not in wide.columns)
