"""D4 cap at a ceiling: the same value is the local maximum again and again (values clipped at c).

Statistic: how many hours within 72 h sit exactly on the same value, each being the maximum of its centred
`peak_window` (a day: "the day's maximum").
Natural peaks touch their maximum once; a clipped series sits on its ceiling every time it would exceed it, so
the hours at the ceiling come in separate visits (one plateau at a peak is D1's business).
Threshold: ≥ 6 such hours in ≥ 2 visits within 72 h at a level above the station's median (fact-sheet D4:
"≥ 3 identical maxima per day"; 3 in 72 h gave 2.9 natural alarms per station-year on quantised Beijing CO/O3;
SaQC flagPlateau). The share of the neighbours above the ceiling at those hours is evidence.
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, score
from ecomon.quality.detectors.flat import network_frozen
from ecomon.quality.detectors.panel import Panel, resolution, rolling

DEFAULTS = {"shared_stations": 2, "window": 72, "peak_window": 24, "min_count": 6, "min_episodes": 2,
            "level_quantile": 0.5, "min_steps": 20, "neighbour_share": 0.5}


def detect_clamp(panel: Panel, reference: np.ndarray | None = None, window: int = DEFAULTS["window"],
                 min_count: int = DEFAULTS["min_count"],
                 level_quantile: float = DEFAULTS["level_quantile"], min_steps: int = DEFAULTS["min_steps"],
                 neighbour_share: float = DEFAULTS["neighbour_share"],
                 min_episodes: int = DEFAULTS["min_episodes"],
                 shared_stations: int = DEFAULTS["shared_stations"],
                 peak_window: int = DEFAULTS["peak_window"]) -> list[AlarmEvent]:
    """Clusters of ≥ `min_count` hours, in ≥ `min_episodes` separate visits, on an identical local maximum
    within `window` hours.

    The ceiling must be at least `min_steps` reporting steps high (coarse values tie by chance) and, when the
    neighbours are known, most of them must read above it at those hours (they were not capped). Hours when
`shared_stations` other stations are frozen too are a feed fault and not counted.
    """
    x = np.round(panel.values, 6)
    res = resolution(x)
    top = rolling(x, peak_window + 1, "max", 1, center=True)
    feed_fault = network_frozen(x, shared_stations)  # hours the whole network held its values (see D1)
    found = []
    for s in range(x.shape[1]):
        col = x[:, s]
        present = col[~np.isnan(col)]
        if present.size == 0:
            continue
        level = max(np.quantile(present, level_quantile), min_steps * res)
        at_top = np.flatnonzero((col == top[:, s]) & (col > level) & ~feed_fault[:, s])
        if at_top.size < min_count:
            continue
        order = np.lexsort((at_top, col[at_top]))
        idx, val = at_top[order], col[at_top][order]
        new = np.r_[True, (val[1:] != val[:-1]) | (np.diff(idx) > window)]
        group = np.cumsum(new) - 1
        counts = np.bincount(group)
        for g in np.flatnonzero(counts >= min_count):
            members = idx[group == g]
            episodes = 1 + int(np.sum(np.diff(members) > 1))
            if episodes < min_episodes:
                continue  # one plateau at a peak is a flat run (D1), not a ceiling hit again and again
            a, b = int(members.min()), int(members.max())
            evidence = {"hours_at_ceiling": counts[g], "episodes": episodes, "ceiling": val[group == g][0],
                        "threshold": min_count}
            if reference is not None:
                share = float(np.mean(reference[members, s] > val[group == g][0]))
                if share < neighbour_share:
                    continue
                evidence["neighbours_above_share"] = share
            found.append(event("clamp", panel, s, a, b, score(counts[g], min_count), evidence,
                               None if reference is None else reference[:, s]))
    return found
