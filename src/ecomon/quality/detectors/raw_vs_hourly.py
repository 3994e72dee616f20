"""D16 raw vs reported mismatch: recompute hourly means from minute data and compare with the reported hour.

A reported hourly value must equal the mean of that hour's valid minute values (≥ 45 of them, GB 3095-2012
Table 4 / HJ 76-2017 Annex B) up to reporting rounding. Any larger difference means the hour was edited or
generated without the raw data (环发〔2015〕175号 Art. 4(8, 12), Art. 5(1–2)). A hard detector: score 1.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ecomon.quality.detectors.events import AlarmEvent

DEFAULTS = {"tolerance": 0.5, "min_minutes": 45}


def detect_raw_vs_hourly(minutes: pl.DataFrame, hourly: pl.DataFrame, tolerance: float = DEFAULTS["tolerance"],
                         min_minutes: int = DEFAULTS["min_minutes"]) -> list[AlarmEvent]:
    """Both frames long format (time, station, parameter, value); `tolerance` is the reporting rounding step.

    Hours with fewer than `min_minutes` valid minutes are not judged (their hourly value is invalid anyway).
    """
    recomputed = (minutes.drop_nulls("value").filter(pl.col("value").is_not_nan())
                  .with_columns(hour=pl.col("time").dt.truncate("1h"))
                  .group_by("station", "parameter", "hour")
                  .agg(raw_mean=pl.col("value").mean(), minutes=pl.len()))
    joined = (hourly.rename({"time": "hour", "value": "reported"})
              .join(recomputed, on=["station", "parameter", "hour"], how="inner")
              .filter(pl.col("minutes") >= min_minutes)
              .with_columns(diff=(pl.col("reported") - pl.col("raw_mean")).abs())
              .filter(pl.col("diff") > tolerance)
              .sort("station", "parameter", "hour"))
    return [AlarmEvent("raw_vs_hourly", r["station"], r["parameter"],
                       np.datetime64(r["hour"].replace(tzinfo=None), "s"),
                       np.datetime64(r["hour"].replace(tzinfo=None), "s"), 1.0,
                       {"reported": r["reported"], "raw_mean": round(r["raw_mean"], 4), "minutes": r["minutes"],
                        "tolerance": tolerance})
            for r in joined.iter_rows(named=True)]
