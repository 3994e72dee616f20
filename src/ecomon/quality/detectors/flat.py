"""D1 constant / frozen values: a run of identical readings far longer than the series' own repeat rate allows.

Statistic: run length of equal consecutive values above a floor. Scale-free threshold: the probability p that a
reading equals the previous one, measured on the same panel *at the run's level* (readings binned by level
quantile), gives the run length whose natural frequency is below `natural_per_year`: L = 1 + log(rate) / log(p).
Coarsely quantised parameters (Beijing CO in 0.1 mg/m³ steps, at 1.1 mg/m³ only 11 steps high) thus need
longer runs than PM2.5 in 1 µg/m³ steps at 150 µg/m³. Source: QARTOD flat line test; SaQC flagConstants; floor
guard per the fact-sheet D1: above max(P25, 10 × resolution), never at the detection floor where runs are
natural. A run during which `shared_stations` or more other stations are also frozen is a feed or system fault
(the published Beijing record holds whole-network values for hours, e.g. O3 in March 2013), left to the rule
tests: falsifying one station does not freeze the others.
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import Panel, resolution

DEFAULTS = {"shared_stations": 2, "floor_quantile": 0.25, "natural_per_year": 0.05, "min_run": 4, "max_run": 12,
            "level_bins": 8}


def _repeats(x: np.ndarray) -> np.ndarray:
    """True where a reading equals the previous one (first row False)."""
    return np.r_[np.zeros((1, x.shape[1]), dtype=bool), x[1:] == x[:-1]]


def frozen(x: np.ndarray) -> np.ndarray:
    """True on readings that belong to a run of ≥ 3 identical values (a station visibly frozen)."""
    return _in_runs_of_three(_repeats(x))


def network_frozen(x: np.ndarray, min_stations: int) -> np.ndarray:
    """Per reading: are at least `min_stations` *other* stations frozen at the same hour (a feed fault)?"""
    f = frozen(x)
    return (f.sum(axis=1, keepdims=True) - f) >= min_stations


def _in_runs_of_three(repeat: np.ndarray) -> np.ndarray:
    third = repeat & np.r_[np.zeros((1, repeat.shape[1]), dtype=bool), repeat[:-1]]
    pad = np.zeros((2, repeat.shape[1]), dtype=bool)
    return third | np.r_[third[1:], pad[:1]] | np.r_[third[2:], pad]


def flat_thresholds(x: np.ndarray, floor: float, natural_per_year: float, min_run: int, max_run: int,
                    level_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Level-bin edges and, per bin, the shortest alarming run length (see module docstring)."""
    above = x[1:] > floor
    pair = ~np.isnan(x[1:]) & ~np.isnan(x[:-1]) & above
    levels = x[1:][pair]
    if levels.size == 0:
        return np.array([]), np.array([min_run])
    edges = np.unique(np.quantile(levels, np.linspace(0, 1, level_bins + 1)[1:-1]))
    which = np.searchsorted(edges, levels, side="right")
    same = (x[1:] == x[:-1])[pair]
    need = np.full(edges.size + 1, min_run)
    for b in range(edges.size + 1):
        p = float(same[which == b].mean()) if (which == b).any() else 0.0
        if p > 0:
            need[b] = int(np.clip(np.ceil(1 + np.log(natural_per_year / 8766.0) / np.log(p)), min_run, max_run))
    return edges, need


def detect_flat(panel: Panel, floor_quantile: float = DEFAULTS["floor_quantile"],
                natural_per_year: float = DEFAULTS["natural_per_year"], min_run: int = DEFAULTS["min_run"],
                max_run: int = DEFAULTS["max_run"], shared_stations: int = DEFAULTS["shared_stations"],
                level_bins: int = DEFAULTS["level_bins"]) -> list[AlarmEvent]:
    """Runs of identical values at or above the alarming length for their level, above the panel's floor."""
    present = panel.values[~np.isnan(panel.values)]
    if present.size == 0:
        return []
    floor = max(float(np.quantile(present, floor_quantile)), 10 * resolution(panel.values))
    x = np.round(panel.values, 6)
    edges, need_by_level = flat_thresholds(x, floor, natural_per_year, min_run, max_run, level_bins)
    repeat = _repeats(x)
    stuck = _in_runs_of_three(repeat)
    found = []
    for s in range(x.shape[1]):
        col = x[:, s]
        same = repeat[:, s] & (col > floor)
        starts, ends = runs(same, min_run - 1)
        for a, b in zip(starts - 1, ends):
            length = b - a + 1
            need = int(need_by_level[np.searchsorted(edges, col[a], side="right")])
            if length < need:
                continue
            others = np.delete(stuck[a:b + 1], s, axis=1).mean(axis=0) >= 0.5
            if others.sum() >= shared_stations:
                continue  # the network froze at the same time: a feed/system fault, not this station
            found.append(event("flat", panel, s, a, b, score(length, need),
                               {"run_hours": length, "value": col[a], "threshold_hours": need, "floor": floor,
                                "other_stations_frozen": int(others.sum())}))
    return found
