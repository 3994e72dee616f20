"""Gross range (sensor limits) and climatology (per-period expected range) tests — QARTOD tests 4 and 5."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ecomon.quality.flags import Flag, full, missing_mask

Span = tuple[float, float]


def _outside(values: np.ndarray, span: Span) -> np.ndarray:
    low, high = span
    if low > high:
        raise ValueError(f"span {span} must be (low, high) with low <= high")
    with np.errstate(invalid="ignore"):
        return (values < low) | (values > high)


def gross_range_test(values: np.ndarray, fail_span: Span, suspect_span: Span | None = None) -> np.ndarray:
    """Outside the sensor span → FAIL, outside the tighter expected span → SUSPECT; bounds are inclusive.

    >>> gross_range_test(np.array([0, 5, 10, 11, np.nan]), (0, 10), (1, 9)).tolist()
    [3, 1, 3, 4, 9]
    """
    x = np.asarray(values, dtype=np.float64)
    flags = full(x.size)
    if suspect_span is not None:
        if suspect_span[0] < fail_span[0] or suspect_span[1] > fail_span[1]:
            raise ValueError(f"suspect span {suspect_span} must lie inside fail span {fail_span}")
        flags[_outside(x, suspect_span)] = Flag.SUSPECT
    flags[_outside(x, fail_span)] = Flag.FAIL
    flags[missing_mask(x)] = Flag.MISSING
    return flags


def climatology_test(values: np.ndarray, period: np.ndarray, suspect_spans: Mapping[int, Span],
                     fail_spans: Mapping[int, Span] | None = None) -> np.ndarray:
    """Per-period expected range (e.g. period = month 1..12 with a site's P0.1–P99.9 span).

    Points whose period has no span are UNKNOWN (QARTOD: not evaluated), as in ioos_qc's climatology test.

    >>> climatology_test(np.array([5., 50., 5.]), np.array([1, 1, 2]), {1: (0, 40)}).tolist()
    [1, 3, 2]
    """
    x = np.asarray(values, dtype=np.float64)
    p = np.asarray(period, dtype=np.int64)
    if p.shape != x.shape:
        raise ValueError(f"period has shape {p.shape} but values have {x.shape}")
    flags = full(x.size, Flag.UNKNOWN)
    for key, span in suspect_spans.items():
        here = p == key
        flags[here] = np.where(_outside(x[here], span), Flag.SUSPECT, Flag.GOOD)
    for key, span in (fail_spans or {}).items():
        here = p == key
        flags[here & _outside(x, span)] = Flag.FAIL
    flags[missing_mask(x)] = Flag.MISSING
    return flags
