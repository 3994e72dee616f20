"""D6/D7 copied series: a 24 h stretch that repeats another day of the same station or another station.

Statistics: (1) a 64-bit rolling hash of the 24 h vector of hourly steps (catches exact and offset copies from
any earlier/later hour or station; confirmed by exact comparison); (2) the 24 h Pearson correlation of hourly
steps between two stations at the same hours (catches scaled or lightly perturbed copies). Thresholds: any exact
repeat of a complete, non-trivial 24 h window (0 of 11,475 natural Beijing station-days repeat, fact-sheet D6);
r ≥ 0.995 between stations (fact-sheet D7 uses 0.99). The copying side is the one whose values jump at the
window edges (pasted data does not join its surroundings); within one station it is the later window (data
reported in real time can only replay the past).
"""

from __future__ import annotations

import warnings

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import Panel, resolution

DEFAULTS = {"window": 24, "min_distinct": 8, "min_r": 0.995}
_MASK64 = (1 << 64) - 1
_R = 0x9E3779B97F4A7C15
_R_INV = pow(_R, -1, 1 << 64)


def _window_hashes(steps: np.ndarray, width: int) -> np.ndarray:
    """Hash of every `width`-long window of integer steps (uint64 arithmetic wraps modulo 2⁶⁴ on purpose)."""
    n = steps.size
    powers = np.cumprod(np.r_[np.uint64(1), np.full(n, _R, dtype=np.uint64)][:-1].astype(np.uint64),
                        dtype=np.uint64)
    inverse = np.cumprod(np.r_[np.uint64(1), np.full(n, _R_INV, dtype=np.uint64)][:-1].astype(np.uint64),
                         dtype=np.uint64)
    prefix = np.r_[np.uint64(0), np.cumsum(steps.astype(np.int64).view(np.uint64) * powers, dtype=np.uint64)]
    return (prefix[width:] - prefix[:-width]) * inverse[: n - width + 1]


def _edge_jump(col: np.ndarray, a: int, b: int, typical: float) -> float:
    jumps = [abs(col[a] - col[a - 1]) if a > 0 else np.nan, abs(col[b + 1] - col[b]) if b + 1 < col.size else np.nan]
    return float(np.nansum(jumps) / typical) if not np.all(np.isnan(jumps)) else 0.0


def _valid_windows(x: np.ndarray, width: int, min_distinct: int) -> np.ndarray:
    """Window starts (over values) that are complete and not trivial (enough distinct values)."""
    t = x.shape[0]
    if t < width:
        return np.zeros((0, x.shape[1]), dtype=bool)
    windows = np.lib.stride_tricks.sliding_window_view(x, width, axis=0)  # (t-w+1, S, w)
    complete = ~np.isnan(windows).any(axis=2)
    ordered = np.sort(windows, axis=2)
    distinct = 1 + (np.diff(ordered, axis=2) > 0).sum(axis=2)
    return complete & (distinct >= min_distinct)


def detect_copy(panel: Panel, window: int = DEFAULTS["window"], min_distinct: int = DEFAULTS["min_distinct"],
                min_r: float = DEFAULTS["min_r"]) -> list[AlarmEvent]:
    """Exact (hash) and near (step correlation) copies; one event per copied stretch on the copying station."""
    x = np.round(panel.values, 6)
    t, n_st = x.shape
    if t < window + 1:
        return []
    res = resolution(x)
    valid = _valid_windows(x, window, min_distinct)  # window k covers rows k..k+window-1
    steps = np.zeros_like(x)
    steps[1:] = np.diff(x, axis=0)
    q = np.where(np.isnan(steps), 0, np.round(steps / res * 1000)).astype(np.int64)
    typical = np.nanmedian(np.abs(steps), axis=0) + res
    copied = np.zeros(x.shape, dtype=bool)
    source: dict[tuple[int, int], tuple[int, int, float]] = {}

    def mark(s: int, k: int, other: int, lag: int, r: float) -> None:
        copied[k:k + window, s] = True
        source.setdefault((s, k), (other, lag, r))

    # exact / offset copies: hash the window-1 steps inside each window (rows k+1..k+window-1)
    hashes = np.stack([_window_hashes(q[1:, s], window - 1) for s in range(n_st)], axis=1)
    ks, ss = np.nonzero(valid[: hashes.shape[0]])
    h = hashes[ks, ss]
    order = np.argsort(h, kind="stable")
    h, ks, ss = h[order], ks[order], ss[order]
    dup = np.flatnonzero(h[1:] == h[:-1])
    for i in dup:
        (k1, s1), (k2, s2) = (ks[i], ss[i]), (ks[i + 1], ss[i + 1])
        if (s1 == s2 and abs(k1 - k2) < window) or not np.array_equal(q[k1 + 1:k1 + window, s1],
                                                                       q[k2 + 1:k2 + window, s2]):
            continue
        if s1 == s2:  # data reported in real time can only replay the past: the later window is the copy
            sides = [(s1, max(k1, k2), s1, min(k1, k2))]
        else:
            j1 = _edge_jump(x[:, s1], k1, k1 + window - 1, typical[s1])
            j2 = _edge_jump(x[:, s2], k2, k2 + window - 1, typical[s2])
            sides = [(s1, k1, s2, k2)] if j1 > j2 else [(s2, k2, s1, k1)] if j2 > j1 else \
                [(s1, k1, s2, k2), (s2, k2, s1, k1)]
        for s, k, other, k_other in sides:
            mark(int(s), int(k), int(other), int(k - k_other), 1.0)

    # near copies between stations at the same hours: rolling correlation of steps
    if n_st > 1:
        # winsorise steps so one shared glitch (e.g. a decimal error at every station) cannot make r ≈ 1
        clipped = np.clip(steps[1:], -4 * typical, 4 * typical)
        sv = np.lib.stride_tricks.sliding_window_view(clipped, window - 1, axis=0)  # (t-w+1, S, w-1)
        ok = valid[: sv.shape[0]]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # incomplete windows give NaN and are not used
            centred = sv - np.nanmean(sv, axis=2, keepdims=True)
        norm = np.sqrt(np.nansum(centred ** 2, axis=2))
        for a in range(n_st):
            for b in range(a + 1, n_st):
                both = ok[:, a] & ok[:, b] & (norm[:, a] > 0) & (norm[:, b] > 0)
                if not both.any():
                    continue
                kk = np.flatnonzero(both)
                r = (centred[kk, a] * centred[kk, b]).sum(axis=1) / (norm[kk, a] * norm[kk, b])
                for k, rv in zip(kk[r >= min_r], r[r >= min_r]):
                    ja = _edge_jump(x[:, a], k, k + window - 1, typical[a])
                    jb = _edge_jump(x[:, b], k, k + window - 1, typical[b])
                    for s, other in ([(a, b)] if ja > jb else [(b, a)] if jb > ja else [(a, b), (b, a)]):
                        mark(s, int(k), other, 0, float(rv))

    found = []
    for s in range(n_st):
        for a, b in zip(*runs(copied[:, s])):
            keys = [key for key in source if key[0] == s and a <= key[1] <= b]
            other, lag, r = source[keys[0]]
            hours = b - a + 1
            found.append(event("copy", panel, s, a, b, score(hours, window),
                               {"hours": hours, "source_station": panel.stations[other], "lag_hours": lag,
                                "step_correlation": r, "matched_windows": len(keys)},
                               panel.values[:, other] if lag == 0 else np.roll(panel.values[:, other], lag)))
    return found
