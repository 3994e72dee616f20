"""D15 gaps aligned with high values (selective transmission, 环发〔2015〕175号 Art. 4(10–11)).

Statistic per station-month: lift = P(missing | high) / P(missing | not high), where "high" means the
neighbours' median (or, without neighbours, the station's own previous present value) is above the panel's
90th percentile. Only short gaps count (≤ 6 h; long outages are equipment failures, not selection), and not
hours when `shared_stations` other stations are missing too (a network or feed outage), nor hours when every
other parameter of the station is missing too (`station_outage`: a logger or link outage drops the whole record,
selection drops the high parameter; on Beijing 8 of 15 natural alarms were such outages). Threshold:
lift > 4 with ≥ 5 missing high hours (fact-sheet D15 starts at 3; 4 after the Beijing natural rate), and the
count unlikely by chance: binomial tail P(≥ k of the n high hours missing | the month's other-hour gap rate)
< `p_value` (a handful of gaps in a gap-prone month is not selection), spread over ≥ `min_gaps` separate gaps:
the hours of one outage are one event, not independent draws (one 5–6 h outage during a high spell made 4 of
the 24 natural alarms of Beijing 2015–16), while withholding is decided hour by hour, again and again.
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import HOUR, Panel
from ecomon.quality.detectors.parked import binomial_tail

DEFAULTS = {"lift": 4.0, "min_hours": 5, "high_quantile": 0.9, "max_gap": 6, "p_value": 1e-4,
            "shared_stations": 2, "min_gaps": 3}


def _last_present(col: np.ndarray) -> np.ndarray:
    idx = np.where(~np.isnan(col), np.arange(col.size), -1)
    idx = np.maximum.accumulate(idx)
    prev = np.full(col.size, np.nan)
    prev[1:] = np.where(idx[:-1] >= 0, col[np.maximum(idx[:-1], 0)], np.nan)
    return prev


def detect_gaps_at_high(panel: Panel, reference: np.ndarray | None = None, lift: float = DEFAULTS["lift"],
                        min_hours: int = DEFAULTS["min_hours"], high_quantile: float = DEFAULTS["high_quantile"],
                        max_gap: int = DEFAULTS["max_gap"], p_value: float = DEFAULTS["p_value"],
                        shared_stations: int = DEFAULTS["shared_stations"],
                        station_outage: np.ndarray | None = None,
                        min_gaps: int = DEFAULTS["min_gaps"]) -> list[AlarmEvent]:
    """Station-months whose short gaps fall on high-pollution hours far more often than elsewhere."""
    x = panel.values
    month = (panel.times + 8 * HOUR).astype("datetime64[M]")
    found = []
    gone = np.isnan(x)
    network_gap = (gone.sum(axis=1, keepdims=True) - gone) >= shared_stations  # a feed outage, not selection
    if station_outage is not None:
        network_gap |= station_outage
    for s in range(x.shape[1]):
        col = x[:, s]
        context = reference[:, s] if reference is not None else _last_present(col)
        known = context[~np.isnan(context)]
        if known.size == 0:
            continue
        high = context >= np.quantile(known, high_quantile)
        missing = np.isnan(col)
        short = np.zeros(col.size, dtype=bool)
        gap_id = np.full(col.size, -1)
        for i, (a, b) in enumerate(zip(*runs(missing))):
            if b - a + 1 <= max_gap and a > 0:
                short[a:b + 1] = True
                gap_id[a:b + 1] = i
        judged = ~np.isnan(context) & (short | ~missing) & ~network_gap[:, s]
        for m in np.unique(month):
            here = (month == m) & judged
            n_high, n_low = int((here & high).sum()), int((here & ~high).sum())
            k_high, k_low = int((here & high & short).sum()), int((here & ~high & short).sum())
            if k_high < min_hours or n_high == 0 or n_low == 0:
                continue
            base = max(k_low / n_low, 0.5 / n_low)
            ratio = (k_high / n_high) / base
            p = binomial_tail(k_high, n_high, min(base, 1.0))
            rows = np.flatnonzero(here & high & short)
            if ratio > lift and p < p_value and np.unique(gap_id[rows]).size >= min_gaps:
                found.append(event("gaps_at_high", panel, s, int(rows[0]), int(rows[-1]), score(ratio, lift),
                                   {"lift": ratio, "threshold": lift, "p_value": p, "missing_high_hours": k_high,
                                    "separate_gaps": np.unique(gap_id[rows]).size,
                                    "high_hours": n_high, "missing_other_hours": k_low},
                                   context))
    return found
