"""Shared QC flag vocabulary (QARTOD / ioos_qc numbering) and the aggregate of several test results.

Every rule test returns one of these integers per point, so results from different tests, sites and
runs can be stored in one `int8` column and combined without translation tables.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Flag(IntEnum):
    """QARTOD flag values (IOOS QARTOD manuals; same numbers as `ioos_qc.qartod.QartodFlags`)."""

    GOOD = 1
    UNKNOWN = 2
    SUSPECT = 3
    FAIL = 4
    MISSING = 9


LABELS_ZH: dict[Flag, str] = {
    Flag.GOOD: "通过 good",
    Flag.UNKNOWN: "未评价 not evaluated",
    Flag.SUSPECT: "可疑 suspect",
    Flag.FAIL: "无效 fail",
    Flag.MISSING: "缺测 missing",
}

FLAG_DTYPE = np.int8

# Precedence used by `aggregate`: later wins. MISSING is ranked last on purpose (unlike ioos_qc, where a
# GOOD from another test hides it): a value that is absent cannot be "good" for any test.
_RANK = np.zeros(10, dtype=np.int8)
_RANK[[Flag.UNKNOWN, Flag.GOOD, Flag.SUSPECT, Flag.FAIL, Flag.MISSING]] = [1, 2, 3, 4, 5]
_BY_RANK = np.array([Flag.UNKNOWN, Flag.UNKNOWN, Flag.GOOD, Flag.SUSPECT, Flag.FAIL, Flag.MISSING],
                    dtype=FLAG_DTYPE)


def full(n: int, flag: Flag = Flag.GOOD) -> np.ndarray:
    """An array of `n` identical flags (the starting point of every test)."""
    return np.full(n, flag, dtype=FLAG_DTYPE)


def aggregate(*results: np.ndarray) -> np.ndarray:
    """Combine per-test flags point by point: MISSING > FAIL > SUSPECT > GOOD > UNKNOWN.

    >>> aggregate(np.array([1, 1, 2, 9]), np.array([3, 4, 1, 1])).tolist()
    [3, 4, 1, 9]
    """
    if not results:
        raise ValueError("aggregate needs at least one flag array")
    stacked = np.vstack([np.asarray(r, dtype=FLAG_DTYPE) for r in results])
    bad = ~np.isin(stacked, [f.value for f in Flag])
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"flag array {row} holds {stacked[row, col]} at position {col}; allowed: 1, 2, 3, 4, 9")
    return _BY_RANK[_RANK[stacked].max(axis=0)]


def missing_mask(values: np.ndarray) -> np.ndarray:
    """True where a value is absent (NaN); every test flags those points MISSING."""
    return np.isnan(np.asarray(values, dtype=np.float64))
