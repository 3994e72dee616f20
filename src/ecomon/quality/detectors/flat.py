"""D1 constant / frozen values: a run of identical readings far longer than the series' own repeat rate allows.

Statistic: run length of equal consecutive values above a floor. Scale-free threshold: the probability p that a
reading equals the previous one (measured above the floor on the same panel) gives the run length whose
natural frequency is below `natural_per_year`: L = 1 + log(rate) / log(p). Coarsely quantised parameters
(Beijing CO in 0.1 mg/m³ steps) thus need longer runs than PM2.5 in 1 µg/m³ steps. Source: QARTOD flat line
test; SaQC flagConstants; floor guard per the fact-sheet D1: above max(P25, 10 × resolution), never at the
detection floor where runs are natural. A run shared by more than half of the other stations is a feed or
system fault (the published Beijing record has network-wide repeated hours), left to the rule tests.
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import Panel, resolution

DEFAULTS = {"shared_share": 0.5, "floor_quantile": 0.25, "natural_per_year": 0.2, "min_run": 4, "max_run": 12}


def flat_threshold(panel: Panel, floor: float, natural_per_year: float, min_run: int, max_run: int) -> int:
    """Shortest alarming run length for this panel (see module docstring)."""
    x = np.round(panel.values, 6)
    pair = ~np.isnan(x[1:]) & ~np.isnan(x[:-1]) & (x[1:] > floor)
    p = float(np.mean(x[1:][pair] == x[:-1][pair])) if pair.any() else 0.0
    if p <= 0:
        return min_run
    run = 1 + np.log(natural_per_year / 8766.0) / np.log(p)
    return int(np.clip(np.ceil(run), min_run, max_run))


def detect_flat(panel: Panel, floor_quantile: float = DEFAULTS["floor_quantile"],
                natural_per_year: float = DEFAULTS["natural_per_year"], min_run: int = DEFAULTS["min_run"],
                max_run: int = DEFAULTS["max_run"], shared_share: float = DEFAULTS["shared_share"]
                ) -> list[AlarmEvent]:
    """Runs of identical values at or above the alarming length, at a level above the panel's floor."""
    present = panel.values[~np.isnan(panel.values)]
    if present.size == 0:
        return []
    floor = max(float(np.quantile(present, floor_quantile)), 10 * resolution(panel.values))
    need = flat_threshold(panel, floor, natural_per_year, min_run, max_run)
    x = np.round(panel.values, 6)
    found = []
    for s in range(x.shape[1]):
        col = x[:, s]
        same = np.r_[False, col[1:] == col[:-1]] & (col > floor)
        starts, ends = runs(same, need - 1)
        for a, b in zip(starts - 1, ends):
            length = b - a + 1
            window = np.delete(x[a:b + 1], s, axis=1)
            others = window[:, ~np.isnan(window).any(axis=0)]
            if others.shape[1] and np.mean(np.ptp(others, axis=0) == 0) > shared_share:
                continue  # the whole network froze: a feed/system fault, not this station
            found.append(event("flat", panel, s, a, b, score(length, need),
                               {"run_hours": length, "value": col[a], "threshold_hours": need, "floor": floor}))
    return found
