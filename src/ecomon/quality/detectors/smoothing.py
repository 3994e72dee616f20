"""D2 over-smoothing ("数据过于平稳"): hour-to-hour movement collapses against the station's own normal.

Statistic: rolling 24 h median of |Δx| / (level + resolution), divided by the same quantity's 30-day median at
that station. Smoothing a series (moving averages, interpolation) shrinks hourly steps by a large factor while
the level stays. Threshold: ratio < 0.25 for ≥ 24 h (fact-sheet D2; QARTOD attenuated signal; SaQC
flagByVariance) and the neighbours, when known, keep moving normally.
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import Panel, resolution, rolling

DEFAULTS = {"ratio": 0.25, "window": 24, "baseline_days": 30, "min_hours": 24}


def movement(panel: Panel, window: int) -> np.ndarray:
    """Rolling median of the relative hourly step, per station (scale-free)."""
    res = resolution(panel.values)
    x = panel.values
    step = np.full(x.shape, np.nan)
    step[1:] = np.abs(np.diff(x, axis=0)) / (np.abs(x[1:]) + np.abs(x[:-1]) + 2 * res)
    return rolling(step, window, "mean", window * 2 // 3)


def detect_smoothing(panel: Panel, ratio: float = DEFAULTS["ratio"], window: int = DEFAULTS["window"],
                     baseline_days: int = DEFAULTS["baseline_days"],
                     min_hours: int = DEFAULTS["min_hours"]) -> list[AlarmEvent]:
    """Windows whose hourly movement is below `ratio` × the station's 30-day median movement."""
    move = movement(panel, window)
    base = rolling(move, baseline_days * 24, "median", baseline_days * 6, center=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = move / base
    found = []
    for s in range(rel.shape[1]):
        low = rel[:, s] < ratio
        for a, b in zip(*runs(low, min_hours)):
            a0 = max(0, a - window + 1)  # the rolling window reaches back to here
            worst = float(np.nanmin(rel[a:b + 1, s]))
            found.append(event("smoothing", panel, s, a0, b, score(ratio / max(worst, 1e-6), 1.0),
                               {"movement_ratio_min": worst, "threshold": ratio, "hours": b - a0 + 1},
                               base[:, s]))
    return found
