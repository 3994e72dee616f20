"""Flat-line test — QARTOD test 8: the signal stopped moving (frozen sensor or held value)."""

from __future__ import annotations

import numpy as np

from ecomon.quality.flags import Flag, full, missing_mask
from ecomon.quality.rules._window import rolling_extreme, to_seconds


def _window_points(times: np.ndarray, seconds: float, interval: float | None) -> int:
    step = interval if interval is not None else float(np.median(np.diff(to_seconds(times))))
    if step <= 0:
        raise ValueError(f"sampling interval must be positive, got {step} s")
    return int(seconds // step)


def flat_line_test(values: np.ndarray, times: np.ndarray, suspect_threshold: float, fail_threshold: float,
                   tolerance: float = 0.0, floor: float = -np.inf, interval: float | None = None) -> np.ndarray:
    """Flag a point when it and the previous `threshold / interval` points span at most `tolerance`.

    Thresholds are seconds (as in ioos_qc); `interval` is the sampling step (default: median time step).
    Differences from ioos_qc: the comparison is `range <= tolerance`, so tolerance 0 catches exact repeats
    (ioos_qc's `< 0` never fires), windows with a missing value are not flagged, and windows at or below
    `floor` (the analyser's detection floor, where long runs are natural) are not flagged.

    >>> flat_line_test(np.array([1., 2, 5, 5, 5, 5]), np.arange(6) * 60, 120, 180).tolist()
    [1, 1, 1, 1, 3, 4]
    """
    x = np.asarray(values, dtype=np.float64)
    flags = full(x.size)
    if x.size >= 3 and tolerance == 0:
        # exact repeats: the length of the run of equal values ending at each point (O(n), no window)
        idx = np.arange(x.size)
        breaks = np.r_[True, x[1:] != x[:-1]]  # NaN != NaN, so a missing value breaks the run
        run = idx - np.maximum.accumulate(np.where(breaks, idx, 0)) + 1
        above = x > floor
        for seconds, flag in ((suspect_threshold, Flag.SUSPECT), (fail_threshold, Flag.FAIL)):
            flags[(run >= _window_points(times, seconds, interval) + 1) & above] = flag
    elif x.size >= 3:
        high_in = np.where(np.isnan(x), np.inf, x)
        low_in = np.where(np.isnan(x), -np.inf, x)
        for seconds, flag in ((suspect_threshold, Flag.SUSPECT), (fail_threshold, Flag.FAIL)):
            width = _window_points(times, seconds, interval) + 1
            high = rolling_extreme(high_in, width, maximum=True)
            low = rolling_extreme(low_in, width, maximum=False)
            with np.errstate(invalid="ignore"):
                flat = (high - low <= tolerance) & (high > floor)
            flags[flat] = flag
    flags[missing_mask(x)] = Flag.MISSING
    return flags
