"""Rate-of-change test — QARTOD test 7 (thresholds in units per second, as in ioos_qc)."""

from __future__ import annotations

import numpy as np

from ecomon.quality.flags import Flag, full, missing_mask
from ecomon.quality.rules._window import to_seconds


def rate_of_change_test(values: np.ndarray, times: np.ndarray, suspect_threshold: float,
                        fail_threshold: float | None = None) -> np.ndarray:
    """|Δx/Δt| from the previous point above the threshold (strictly) flags the later point.

    The first point, and a point after a missing one, have no rate and pass (as in ioos_qc).

    >>> rate_of_change_test(np.array([0., 10., 40.]), np.array([0, 10, 20]), 2, 2.5).tolist()
    [1, 1, 4]
    """
    x = np.asarray(values, dtype=np.float64)
    t = to_seconds(times)
    if t.shape != x.shape:
        raise ValueError(f"times have shape {t.shape} but values have {x.shape}")
    rate = np.zeros(x.size)
    if x.size > 1:
        dt = np.diff(t)
        if (dt <= 0).any():
            i = int(np.argmax(dt <= 0)) + 1
            raise ValueError(f"times must increase strictly; position {i} does not")
        rate[1:] = np.abs(np.diff(x)) / dt
    flags = full(x.size)
    with np.errstate(invalid="ignore"):
        flags[rate > suspect_threshold] = Flag.SUSPECT
        if fail_threshold is not None:
            flags[rate > fail_threshold] = Flag.FAIL
    flags[missing_mask(x)] = Flag.MISSING
    return flags
