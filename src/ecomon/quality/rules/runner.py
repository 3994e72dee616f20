"""One runner for batch and stream: apply a rule set to a long-format frame with the pure rule tests.

Input columns: `time` (datetime), `station`, `parameter`, `value` (float, null/NaN = missing) and optionally
`flag` (HJ 212 data flag). Output: the input plus one `qc_<test>` column per test and the aggregate `qc`.
Streaming keeps a short tail per series as explicit state and holds back each series' newest point until the
next one arrives (the spike test needs it), so a stream gives exactly the flags of one batch run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import polars as pl

from ecomon.quality.flags import FLAG_DTYPE, Flag, aggregate, full
from ecomon.quality.rules.config import RuleSet
from ecomon.quality.rules.consistency import ordered_pair_test
from ecomon.quality.rules.device_flags import device_flag_test
from ecomon.quality.rules.flatline import flat_line_test
from ecomon.quality.rules.gaps import time_gap_test
from ecomon.quality.rules.range import gross_range_test
from ecomon.quality.rules.rate import rate_of_change_test
from ecomon.quality.rules.spike import spike_test

SERIES = ["station", "parameter"]
TESTS = ("gross_range", "spike", "rate_of_change", "flat_line", "time_gap")
QC_COLUMNS = [f"qc_{t}" for t in TESTS] + ["qc_device", "qc_pair", "qc"]


def _series_tests(values: np.ndarray, times: np.ndarray, params: dict, interval: float) -> dict[str, np.ndarray]:
    calls = {
        "gross_range": lambda kw: gross_range_test(values, **kw),
        "spike": lambda kw: spike_test(values, **kw),
        "rate_of_change": lambda kw: rate_of_change_test(values, times, **kw),
        "flat_line": lambda kw: flat_line_test(values, times, interval=interval, **kw),
        "time_gap": lambda kw: time_gap_test(times[~np.isnan(values)], **kw),
    }
    out = {}
    for test in TESTS:
        if test not in params:
            out[test] = full(values.size, Flag.UNKNOWN)
        elif test == "time_gap":  # gaps are judged between present values; absent rows stay MISSING
            flags = full(values.size, Flag.MISSING)
            flags[~np.isnan(values)] = calls[test](params[test])
            out[test] = flags
        else:
            out[test] = calls[test](params[test])
    return out


def _validate(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ("time", "station", "parameter", "value") if c not in frame.columns]
    if missing:
        raise ValueError(f"QC input lacks column(s) {', '.join(missing)}")
    dupes = frame.filter(pl.struct(["station", "parameter", "time"]).is_duplicated())
    if dupes.height:
        row = dupes.row(0, named=True)
        raise ValueError(f"duplicate measurement for {row['station']} {row['parameter']} at {row['time']}")
    return frame.with_columns(pl.col("value").cast(pl.Float64).fill_null(np.nan)).sort([*SERIES, "time"])


def _pair_flags(frame: pl.DataFrame, rules: RuleSet) -> pl.DataFrame:
    parts = []
    for pair in rules.pairs:
        a = frame.filter(pl.col("parameter") == pair["part"]).select("station", "time", pl.col("value").alias("a"))
        b = frame.filter(pl.col("parameter") == pair["whole"]).select("station", "time", pl.col("value").alias("b"))
        joined = a.join(b, on=["station", "time"], how="inner")
        if joined.height == 0:
            continue
        kw = {k: v for k, v in pair.items() if k not in ("part", "whole")}
        flags = ordered_pair_test(joined["a"].to_numpy(), joined["b"].to_numpy(), **kw)
        for name in (pair["part"], pair["whole"]):
            parts.append(joined.select("station", "time").with_columns(
                parameter=pl.lit(name), qc_pair=pl.Series(flags, dtype=pl.Int8)))
    if not parts:
        return pl.DataFrame(schema={"station": pl.String, "time": frame.schema["time"],
                                    "parameter": pl.String, "qc_pair": pl.Int8})
    # several pairs on one parameter: the worse verdict counts (UNKNOWN 2 < GOOD 1 is fixed by the rank)
    rank = {Flag.UNKNOWN: 0, Flag.GOOD: 1, Flag.SUSPECT: 2, Flag.FAIL: 3}
    return (pl.concat(parts)
            .with_columns(r=pl.col("qc_pair").replace_strict({int(k): v for k, v in rank.items()}))
            .sort("r").group_by(["station", "time", "parameter"]).last().drop("r"))


def run_rules(frame: pl.DataFrame, rules: RuleSet, site_types: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Batch QC: every configured test on every (station, parameter) series, plus pair and device tests."""
    data = _validate(frame)
    n = data.height
    if n == 0:
        return data.with_columns(pl.lit(None, dtype=pl.Int8).alias(c) for c in QC_COLUMNS)
    columns = {t: np.empty(n, dtype=FLAG_DTYPE) for t in TESTS}
    values = data["value"].to_numpy()
    times = data["time"].to_numpy()
    keys = data.select(SERIES)
    starts = np.flatnonzero(np.r_[True, (keys["station"][1:].to_numpy() != keys["station"][:-1].to_numpy())
                                  | (keys["parameter"][1:].to_numpy() != keys["parameter"][:-1].to_numpy())])
    bounds = np.r_[starts, n]
    for lo, hi in pairwise(bounds):
        station, parameter = keys.row(int(lo))
        params = rules.resolve(parameter, (site_types or {}).get(station), station)
        for test, flags in _series_tests(values[lo:hi], times[lo:hi], params, rules.interval).items():
            columns[test][lo:hi] = flags
    device = (device_flag_test(data["flag"].fill_null("N").to_numpy()) if "flag" in data.columns
              else full(n, Flag.UNKNOWN))
    out = data.with_columns(**{f"qc_{t}": pl.Series(f, dtype=pl.Int8) for t, f in columns.items()},
                            qc_device=pl.Series(device, dtype=pl.Int8))
    out = (out.join(_pair_flags(data, rules), on=["station", "time", "parameter"], how="left")
           .with_columns(pl.col("qc_pair").fill_null(int(Flag.UNKNOWN))))
    qc = aggregate(*(out[c].to_numpy() for c in QC_COLUMNS[:-1]))
    qc[np.isnan(values)] = Flag.MISSING
    return out.with_columns(qc=pl.Series(qc, dtype=pl.Int8))


@dataclass(frozen=True)
class StreamState:
    """Rows kept between stream calls: enough history for the widest window, plus the not-yet-emitted rows."""

    held: pl.DataFrame


def _history(rules: RuleSet) -> int:
    widest = max((kw.get("fail_threshold", 0) for p in rules.parameters.values()
                  for t, kw in p.items() if t == "flat_line"), default=0)
    return int(widest // rules.interval) + 2


def run_stream(batch: pl.DataFrame, rules: RuleSet, state: StreamState | None = None,
               site_types: Mapping[str, str] | None = None) -> tuple[pl.DataFrame, StreamState]:
    """Stream QC: flags for rows that are final now (each series' newest row waits for its successor)."""
    fresh = batch.with_columns(_emitted=pl.lit(False))
    combined = fresh if state is None else pl.concat([state.held, fresh], how="diagonal_relaxed")
    flagged = run_rules(combined.drop("_emitted"), rules, site_types).with_columns(
        _emitted=combined.sort([*SERIES, "time"])["_emitted"])
    newest = pl.col("time") == pl.col("time").max().over(SERIES)
    ready = flagged.filter(~pl.col("_emitted") & ~newest)
    keep = _history(rules)
    held = (flagged.with_columns(_emitted=pl.col("_emitted") | ~newest)
            .filter(pl.int_range(pl.len()).over(SERIES) >= pl.len().over(SERIES).cast(pl.Int64) - keep)
            .select([*batch.columns, "_emitted"]))
    return ready.drop("_emitted"), StreamState(held)


def flush(state: StreamState, rules: RuleSet, site_types: Mapping[str, str] | None = None) -> pl.DataFrame:
    """End of stream: flag the rows still held back (their last point is evaluated like a batch's last)."""
    flagged = run_rules(state.held.drop("_emitted"), rules, site_types).with_columns(
        _emitted=state.held.sort([*SERIES, "time"])["_emitted"])
    return flagged.filter(~pl.col("_emitted")).drop("_emitted")
