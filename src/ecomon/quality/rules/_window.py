"""Sliding-window helpers shared by the rule tests (O(n) whatever the window length)."""

from __future__ import annotations

import numpy as np


def rolling_extreme(x: np.ndarray, width: int, maximum: bool) -> np.ndarray:
    """Max (or min) of each trailing window x[i-width+1 .. i]; positions before the first full window get NaN.

    Van Herk / Gil-Werman: block-wise prefix and suffix accumulations, so the cost does not grow with `width`.
    NaN inside a window must be handled by the caller (replace by ±inf first).
    """
    n = x.size
    out = np.full(n, np.nan)
    if width < 1 or n < width:
        return out
    ufunc = np.maximum if maximum else np.minimum
    blocks = -(-n // width)
    pad = np.full(blocks * width, -np.inf if maximum else np.inf)
    pad[:n] = x
    grid = pad.reshape(blocks, width)
    prefix = ufunc.accumulate(grid, axis=1).ravel()
    suffix = ufunc.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    ends = np.arange(width - 1, n)
    out[width - 1:] = ufunc(suffix[ends - width + 1], prefix[ends])
    return out


def to_seconds(times: np.ndarray) -> np.ndarray:
    """Times as float seconds: datetime64 of any unit, or numbers already in seconds."""
    t = np.asarray(times)
    if np.issubdtype(t.dtype, np.datetime64):
        return t.astype("datetime64[ns]").astype(np.int64) / 1e9
    if not np.issubdtype(t.dtype, np.number):
        raise ValueError(f"times must be datetime64 or seconds, got dtype {t.dtype}")
    return t.astype(np.float64)
