"""D9 blocking / water spraying at an air station: particles drop against the neighbours for a few hours.

Statistic: per hour, d = z − (station's 30-day median of z), z = log((x + c)/(m + c)) as in D8, for PM2.5 and
PM10. Spraying or covering the inlet removes particles, not gases, and happens when pollution is high.
Alarm when, for 1–12 h while the neighbours' PM2.5 is above its panel 75th percentile, both PM2.5 and PM10 drop
below `joint_ratio` (or the only available one below `single_ratio`), and the gases (NO2, CO) did not drop the
same way. Thresholds ours after the fact sheet D9 (log 0.4; single-signal alarms were 15 per station-year, so a
second signal is required); Xi'an 2016 case ratio 0.2; 环发〔2015〕175号 Art. 4(2).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.neighbour_shift import baseline, log_ratio
from ecomon.quality.detectors.panel import Panel

DEFAULTS = {"joint_ratio": 0.5, "single_ratio": 0.3, "gas_ratio": 0.6, "high_quantile": 0.75,
            "min_hours": 2, "max_hours": 12, "offset_quantile": 0.1}


def detect_spraying(panels: Mapping[str, Panel], references: Mapping[str, np.ndarray],
                    joint_ratio: float = DEFAULTS["joint_ratio"], single_ratio: float = DEFAULTS["single_ratio"],
                    gas_ratio: float = DEFAULTS["gas_ratio"], high_quantile: float = DEFAULTS["high_quantile"],
                    min_hours: int = DEFAULTS["min_hours"], max_hours: int = DEFAULTS["max_hours"],
                    offset_quantile: float = DEFAULTS["offset_quantile"]) -> list[AlarmEvent]:
    """Short joint drops of PM2.5/PM10 against the neighbours during high pollution; one event per parameter."""
    pm = [p for p in ("PM2.5", "PM10") if p in panels and p in references]
    if not pm:
        return []
    devs = {}
    for p in [*pm, *(g for g in ("NO2", "CO") if g in panels and g in references)]:
        z = log_ratio(panels[p], references[p], offset_quantile)
        devs[p] = z - baseline(z, 30, 24)
    lead = panels[pm[0]]
    ref = references[pm[0]]
    present = ref[~np.isnan(ref)]
    if present.size == 0:
        return []
    high = ref >= np.quantile(present, high_quantile)
    with np.errstate(invalid="ignore"):
        both = np.all([devs[p] < np.log(joint_ratio) for p in pm], axis=0) if len(pm) == 2 else \
            np.zeros(ref.shape, dtype=bool)
        available = np.sum([~np.isnan(devs[p]) for p in pm], axis=0)
        single = np.any([devs[p] < np.log(single_ratio) for p in pm], axis=0) & (available == 1)
        gases_dropped = np.any([devs[g] < np.log(gas_ratio) for g in ("NO2", "CO") if g in devs], axis=0) \
            if any(g in devs for g in ("NO2", "CO")) else np.zeros(ref.shape, dtype=bool)
    drop = (both | single) & high & ~gases_dropped
    found = []
    for s in range(drop.shape[1]):
        for a, b in zip(*runs(drop[:, s], min_hours)):
            if b - a + 1 > max_hours:
                continue
            for p in pm:
                worst = float(np.nanmin(devs[p][a:b + 1, s]))
                if np.isnan(worst):
                    continue
                found.append(event("spraying", panels[p], s, a, b, score(-worst, -np.log(joint_ratio)),
                                   {"ratio_vs_normal": float(np.exp(worst)), "threshold_ratio": joint_ratio,
                                    "hours": b - a + 1, "neighbour_median_max": float(np.nanmax(ref[a:b + 1, s]))},
                                   references[p][:, s]))
    return found
