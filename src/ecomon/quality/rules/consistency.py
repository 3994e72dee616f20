"""Cross-parameter consistency — QARTOD test 9 (multi-variate) for physically ordered pairs.

A part cannot exceed its whole: PM2.5 ⊂ PM10, NO2 ⊂ NOx, NH3-N ⊂ TN, BOD5 ≤ COD. Analysers have their own
uncertainty, so a violation must exceed both an absolute and a relative tolerance before it is flagged.
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.flags import Flag, full


def ordered_pair_test(part: np.ndarray, whole: np.ndarray, suspect_excess: float, suspect_ratio: float,
                      fail_excess: float | None = None, fail_ratio: float | None = None) -> np.ndarray:
    """Flag times where part > whole + excess and part > ratio·whole (both strictly).

    Either value missing → UNKNOWN (the pair cannot be evaluated; each value's own MISSING comes from the
    single-series tests).

    >>> ordered_pair_test(np.array([50., 61, 80, 5]), np.array([50., 50, 50, np.nan]), 10, 1.2, 25, 1.5).tolist()
    [1, 3, 4, 2]
    """
    a = np.asarray(part, dtype=np.float64)
    b = np.asarray(whole, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"part has shape {a.shape} but whole has {b.shape}")
    flags = full(a.size)
    with np.errstate(invalid="ignore"):
        flags[(a > b + suspect_excess) & (a > suspect_ratio * b)] = Flag.SUSPECT
        if fail_excess is not None and fail_ratio is not None:
            flags[(a > b + fail_excess) & (a > fail_ratio * b)] = Flag.FAIL
    flags[np.isnan(a) | np.isnan(b)] = Flag.UNKNOWN
    return flags
