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
    t = np.asarray(times)
    if t.shape != x.shape:
        raise ValueError(f"times have shape {t.shape} but values have {x.shape}")
    flags = full(x.size)
    if x.size > 1:
        # compare |Δx| with threshold·Δt: no per-point division, datetimes stay integer until the product
        if np.issubdtype(t.dtype, np.datetime64):
            dt = np.diff(t.astype("datetime64[ns]").view(np.int64)) * 1e-9
        else:
            dt = np.diff(to_seconds(t))
        if (dt <= 0).any():
            i = int(np.argmax(dt <= 0)) + 1
            raise ValueError(f"times must increase strictly; position {i} does not")
        step = np.abs(np.diff(x))
        later = flags[1:]
        with np.errstate(invalid="ignore"):
            later[step > suspect_threshold * dt] = Flag.SUSPECT
            if fail_threshold is not None:
                later[step > fail_threshold * dt] = Flag.FAIL
    flags[missing_mask(x)] = Flag.MISSING
    return flags
