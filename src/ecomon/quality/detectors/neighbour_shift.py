"""D8 quiet level shift against the neighbours (a station reads lower — or higher — than it used to).

Statistic: z = log((x + c) / (m + c)) with m the neighbours' hourly median and c a low-level offset (10th
percentile of the panel, so values near zero do not dominate); its 72 h trailing median minus the station's own
30-day median of z ending before that window. Scale-free: a ×0.6 shift is −0.51 whatever the unit. Threshold:
deviation below log 0.7 (or above −log 0.7) for ≥ `min_hours` (fact-sheet D8: recall 0.97 for 14-day ×0.6
shifts; Greenstone et al. 2022; SaQC flagJumps/flagDriftFromNorm). Noisy pairs (gases with local sources)
get a wider limit: `spread_factor` × the robust spread (1.4826·MAD) of the station's own deviation series,
never wider than a ×`max_ratio` change (a long shift inflates the spread it is judged by).
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import Panel, rolling

DEFAULTS = {"ratio": 0.7, "spread_factor": 4.0, "max_ratio": 0.55, "window": 72, "baseline_days": 30, "min_hours": 36, "offset_quantile": 0.1}


def log_ratio(panel: Panel, reference: np.ndarray, offset_quantile: float) -> np.ndarray:
    """z = log((x + c) / (m + c)), the station's hourly standing against its neighbours."""
    present = panel.values[~np.isnan(panel.values)]
    c = float(np.quantile(present, offset_quantile)) if present.size else 0.0
    c = max(c, 1e-6)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log((panel.values + c) / (reference + c))


def baseline(z: np.ndarray, days: int, lag: int) -> np.ndarray:
    """Median of z over the `days` before the last `lag` hours (trailing; usable in a stream)."""
    base = rolling(z, days * 24, "median", days * 8)
    out = np.full(z.shape, np.nan)
    out[lag:] = base[:-lag] if lag else base
    return out


def detect_neighbour_shift(panel: Panel, reference: np.ndarray, ratio: float = DEFAULTS["ratio"],
                           window: int = DEFAULTS["window"], baseline_days: int = DEFAULTS["baseline_days"],
                           min_hours: int = DEFAULTS["min_hours"],
                           offset_quantile: float = DEFAULTS["offset_quantile"],
                           spread_factor: float = DEFAULTS["spread_factor"],
                           max_ratio: float = DEFAULTS["max_ratio"]) -> list[AlarmEvent]:
    """Sustained departures of the station/neighbour log-ratio from its own recent normal."""
    z = log_ratio(panel, reference, offset_quantile)
    dev = rolling(z, window, "median", window // 2) - baseline(z, baseline_days, window)
    found = []
    for s in range(z.shape[1]):
        spread = 1.4826 * np.nanmedian(np.abs(dev[:, s] - np.nanmedian(dev[:, s]))) if \
            np.isfinite(dev[:, s]).any() else 0.0
        limit = max(-np.log(ratio), min(spread_factor * spread, -np.log(max_ratio)))
        for sign, name in ((-1, "down"), (1, "up")):
            with np.errstate(invalid="ignore"):
                beyond = sign * dev[:, s] > limit
            for a, b in zip(*runs(beyond, min_hours)):
                # a trailing median crosses when half its window has shifted: move the interval back by that lag
                a0, b0 = max(0, a - window // 2), max(0, b - window // 2)
                peak = float(np.nanmax(sign * dev[a:b + 1, s]))
                found.append(event("neighbour_shift", panel, s, a0, b0, score(peak, limit),
                                   {"direction": name, "ratio": float(np.exp(sign * peak)),
                                    "threshold_ratio": float(np.exp(-sign * limit)), "hours": b0 - a0 + 1},
                                   reference[:, s]))
    return found
