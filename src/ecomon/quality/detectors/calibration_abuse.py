"""D14 calibration/maintenance flag abuse: invalidating marks placed where values were about to exceed.

Statistic per station-parameter-month: lift = P(mark at t | value at t−1 in [0.8 L, L]) / P(mark), marks being
the HJ 212 invalid states C, M, D, F (calibration, maintenance, fault, stopped); also the marked share.
Threshold: lift > 3 with ≥ 5 marked hours after a near-limit hour, or marked share > 5 % (fact-sheet D14;
执法函〔2020〕21号 marking rules; CN110245880A).
"""

from __future__ import annotations

import polars as pl

from ecomon.quality.detectors.events import AlarmEvent, score

INVALIDATING = ("C", "M", "D", "F")
DEFAULTS = {"lift": 3.0, "min_events": 5, "max_share": 0.05, "near": 0.8}


def detect_calibration_abuse(frame: pl.DataFrame, limits: dict[str, float], lift: float = DEFAULTS["lift"],
                             min_events: int = DEFAULTS["min_events"], max_share: float = DEFAULTS["max_share"],
                             near: float = DEFAULTS["near"]) -> list[AlarmEvent]:
    """`frame`: time, station, parameter, value, flag (HJ 212 data flag), hourly; `limits`: parameter → L."""
    found = []
    data = (frame.filter(pl.col("parameter").is_in(list(limits)))
            .sort("station", "parameter", "time")
            .with_columns(marked=pl.col("flag").is_in(INVALIDATING),
                          limit=pl.col("parameter").replace_strict(limits, return_dtype=pl.Float64),
                          month=pl.col("time").dt.truncate("1mo"))
            .with_columns(prev=pl.col("value").shift(1).over("station", "parameter"))
            .with_columns(near_limit=(pl.col("prev") >= near * pl.col("limit")) & (pl.col("prev") <= pl.col("limit"))))
    for (station, parameter, _), g in data.group_by("station", "parameter", "month", maintain_order=True):
        marked = g["marked"].to_numpy()
        near_limit = g["near_limit"].fill_null(False).to_numpy()
        share = float(marked.mean())
        k = int((marked & near_limit).sum())
        ratio = (k / near_limit.sum()) / share if near_limit.any() and share > 0 else 0.0
        if (ratio > lift and k >= min_events) or share > max_share:
            times = g["time"].to_numpy()[marked].astype("datetime64[s]")
            found.append(AlarmEvent("calibration_abuse", station, parameter, times.min(), times.max(),
                                    max(score(ratio, lift), score(share, max_share)),
                                    {"lift": round(ratio, 3), "marked_after_near_limit": k,
                                     "marked_share": round(share, 4), "threshold_lift": lift,
                                     "threshold_share": max_share}))
    return found
