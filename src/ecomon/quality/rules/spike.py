"""Spike test — QARTOD test 6 (same two methods as ioos_qc's `spike_test`)."""

from __future__ import annotations

import numpy as np

from ecomon.quality.flags import Flag, full, missing_mask


def spike_test(values: np.ndarray, suspect_threshold: float, fail_threshold: float | None = None,
               method: str = "average") -> np.ndarray:
    """Flag a point that departs from both neighbours by more than a threshold (strictly greater).

    average: |xₙ − (xₙ₋₁ + xₙ₊₁)/2|; differential: min(|xₙ − xₙ₋₁|, |xₙ₊₁ − xₙ|) when the two steps have
    opposite signs. First/last point and points next to a gap are UNKNOWN.

    >>> spike_test(np.array([1., 1., 9., 1., 1.]), 4, 6).tolist()
    [2, 1, 4, 1, 2]
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    size = np.full(n, np.nan)
    if n >= 3:
        before, here, after = x[:-2], x[1:-1], x[2:]
        if method == "average":
            size[1:-1] = np.abs(here - (before + after) / 2)
        elif method == "differential":
            up, down = here - before, after - here
            size[1:-1] = np.where(up * down < 0, np.minimum(np.abs(up), np.abs(down)), 0.0)
        else:
            raise ValueError(f"unknown spike method {method!r}; use 'average' or 'differential'")
    flags = full(n)
    with np.errstate(invalid="ignore"):
        flags[size > suspect_threshold] = Flag.SUSPECT
        if fail_threshold is not None:
            flags[size > fail_threshold] = Flag.FAIL
    flags[np.isnan(size)] = Flag.UNKNOWN
    flags[missing_mask(x)] = Flag.MISSING
    return flags
