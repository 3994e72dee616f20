"""D2 over-smoothing ("数据过于平稳"): hour-to-hour movement collapses against the station's own normal.

Statistic: rolling 24 h median of |Δx| / (level + resolution), divided by the same quantity's 30-day median at
that station. Smoothing a series (moving averages, interpolation) shrinks hourly steps by a large factor while
the level stays. Threshold: ratio < 0.25 for ≥ 24 h (fact-sheet D2; QARTOD attenuated signal; SaQC
flagByVariance), while the other stations of the panel keep ≥ 60 % of their normal movement (calm weather
smooths every station) and the level is above 10 reporting steps and the analyser's limit of quantification
(quantised low values do not move; summer SO2 at a few µg/m³ moves by its noise, 2 of 3 natural alarms of
2013–14 were SO2 at Gucheng and Shunyi below 16 µg/m³). A series
that does not move at all (ratio ≤ `frozen_ratio`) is frozen, which D1 judges (and excuses when the network froze).
"""

from __future__ import annotations

import warnings

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import Panel, quantification_floor, resolution, rolling

DEFAULTS = {"ratio": 0.25, "frozen_ratio": 0.02, "others_ratio": 0.6, "window": 24, "baseline_days": 30, "min_hours": 24}


def movement(panel: Panel, window: int) -> np.ndarray:
    """Rolling median of the relative hourly step, per station (scale-free)."""
    res = resolution(panel.values)
    x = panel.values
    step = np.full(x.shape, np.nan)
    step[1:] = np.abs(np.diff(x, axis=0)) / (np.abs(x[1:]) + np.abs(x[:-1]) + 2 * res)
    return rolling(step, window, "mean", window * 2 // 3)


def detect_smoothing(panel: Panel, ratio: float = DEFAULTS["ratio"], window: int = DEFAULTS["window"],
                     baseline_days: int = DEFAULTS["baseline_days"],
                     min_hours: int = DEFAULTS["min_hours"],
                     others_ratio: float = DEFAULTS["others_ratio"],
                     frozen_ratio: float = DEFAULTS["frozen_ratio"]) -> list[AlarmEvent]:
    """Windows whose hourly movement is below `ratio` × the station's 30-day median movement."""
    move = movement(panel, window)
    base = rolling(move, baseline_days * 24, "median", baseline_days * 6, center=True)
    level = rolling(panel.values, window, "median", window // 2)
    floor = quantification_floor(panel.parameter, panel.values)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hours where no other station reports give NaN
        rel = move / base
        others = np.array([np.nanmedian(np.delete(rel, s, axis=1), axis=1) if rel.shape[1] > 1
                           else np.ones(rel.shape[0]) for s in range(rel.shape[1])]).T \
            if rel.shape[1] > 1 else np.ones(rel.shape)
    found = []
    for s in range(rel.shape[1]):
        # the station alone is calm but not frozen (no movement at all is D1's finding) (others keep moving) at a level where steps are resolvable
        low = (rel[:, s] < ratio) & (rel[:, s] > frozen_ratio) & (others[:, s] >= others_ratio) & \
            (level[:, s] > floor)
        for a, b in zip(*runs(low, min_hours)):
            a0 = max(0, a - window + 1)  # the rolling window reaches back to here
            worst = float(np.nanmin(rel[a:b + 1, s]))
            found.append(event("smoothing", panel, s, a0, b, score(ratio / max(worst, 1e-6), 1.0),
                               {"movement_ratio_min": worst, "threshold": ratio, "hours": b - a0 + 1},
                               base[:, s]))
    return found
