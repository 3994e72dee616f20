"""Speed of the QC rule tests: points/s on a year of minute data for 100 series, ecomon vs ioos_qc and SaQC.

ecomon runs every test on all 100 series (52.6 M points); the baselines run the same test on a subset of the
series (they are much slower) and their rate is points/s over that subset. Same machine, same run.
Run: .venv/bin/python bench/qc.py [--series 100] [--baseline-series 2]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from ecomon.quality.rules.flatline import flat_line_test
from ecomon.quality.rules.gaps import time_gap_test
from ecomon.quality.rules.range import gross_range_test
from ecomon.quality.rules.rate import rate_of_change_test
from ecomon.quality.rules.spike import spike_test

N = 525_600  # minutes in a year


def series(rng: np.random.Generator) -> np.ndarray:
    """Synthetic 1-min PM2.5: daily cycle + AR noise + a few spikes, flats and gaps."""
    t = np.arange(N)
    x = 60 + 30 * np.sin(2 * np.pi * t / 1440) + np.cumsum(rng.normal(0, 0.5, N)) * 0.05
    x += rng.normal(0, 3, N)
    x[rng.integers(0, N, 200)] += 300
    for start in rng.integers(0, N - 120, 20):
        x[start:start + 90] = x[start]
    x[rng.integers(0, N, 500)] = np.nan
    return np.round(np.abs(x), 1)


OURS = {
    "gross_range": lambda x, t: gross_range_test(x, (0, 1000), (0, 600)),
    "spike": lambda x, t: spike_test(x, 50, 150),
    "rate_of_change": lambda x, t: rate_of_change_test(x, t, 1.0, 3.0),
    "flat_line": lambda x, t: flat_line_test(x, t, 30 * 60, 60 * 60, 0.0, interval=60.0),
    "time_gap": lambda x, t: time_gap_test(t, 300),
}


def ioos_tests():
    from ioos_qc import qartod as q
    return {
        "gross_range": lambda x, t: q.gross_range_test(x, (0, 1000), (0, 600)),
        "spike": lambda x, t: q.spike_test(x, 50, 150),
        "rate_of_change": lambda x, t: q.rate_of_change_test(x, t, 1.0, 3.0),
        "flat_line": lambda x, t: q.flat_line_test(x, t, 30 * 60, 60 * 60, 0.01),
        "time_gap": lambda x, t: q.time_gap_test(t, 300),
    }


def saqc_tests():
    import pandas as pd
    import saqc

    def run(fn):
        def call(x, t):
            qc = saqc.SaQC(pd.DataFrame({"x": x}, index=pd.DatetimeIndex(t)))
            return fn(qc)
        return call
    return {
        "gross_range": run(lambda qc: qc.flagRange("x", min=0, max=1000)),
        "flat_line": run(lambda qc: qc.flagConstants("x", thresh=0.0, window="30min")),
        "spike": run(lambda qc: qc.flagZScore("x", window=3, thresh=3, method="standard")),
    }


def rate(tests: dict, data: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    out = {}
    for name, fn in tests.items():
        t0 = time.perf_counter()
        for x, t in data:
            fn(x, t)
        out[name] = sum(x.size for x, _ in data) / (time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=100)
    ap.add_argument("--baseline-series", type=int, default=2)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    times = np.datetime64("2024-01-01T00:00", "s") + np.arange(N) * np.timedelta64(60, "s")
    base = [series(rng) for _ in range(4)]
    data = [(base[i % 4], times) for i in range(args.series)]
    ours = rate(OURS, data)
    print(f"{args.series} series × {N:,} minutes = {args.series * N / 1e6:.1f} M points (noisy: shared 2-core machine)")
    baselines: dict[str, dict[str, float]] = {}
    for name, factory in (("ioos_qc", ioos_tests), ("SaQC", saqc_tests)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                baselines[name] = rate(factory(), data[: args.baseline_series])
        except (ImportError, RuntimeError, ValueError, TypeError) as exc:  # optional dependency: report, go on
            print(f"{name}: not run ({exc.__class__.__name__}: {exc})")
    print(f"{'test':16} {'ecomon Mpt/s':>13} {'≥ 5 M/s':>8} "
          + " ".join(f"{b + ' Mpt/s':>14} {'ratio':>7} {'faster':>7}" for b in baselines))
    for test, r in ours.items():
        cells = []
        for b in baselines.values():
            cells.append(f"{b[test] / 1e6:14.2f} {r / b[test]:7.1f} {'yes' if r > b[test] else 'NO':>7}"
                         if test in b else f"{'-':>14} {'-':>7} {'-':>7}")
        print(f"{test:16} {r / 1e6:13.1f} {'yes' if r >= 5e6 else 'NO':>8} " + " ".join(cells))


if __name__ == "__main__":
    main()
