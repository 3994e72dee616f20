"""D3 values parked just below a limit (bunching, "平顶"): too many values just under L, too few just over it.

Statistic per station and every 30 consecutive days of daily means, or calendar month of hourly values:
k = count in (L − b, L], m = count in (L, L + b], b = 15 % of L; one-sided binomial tail P(X ≥ k | n = k + m,
p₀), p₀ = the share below pooled over the other stations (≥ ½; the density's own slope at L, so steep tails of
hourly gases do not alarm). Parking exceedances under L empties the upper bin. Threshold p < 0.001 with k ≥ 5
(fact-sheet D3: 0 natural alarms in 432 Beijing station-months; Ghanem & Zhang 2014
discontinuity at the API-100 cut-off). Overlapping significant windows are one episode.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, score
from ecomon.quality.detectors.panel import HOUR, Panel

# GB 3095-2012 Table 1, grade 2 (still the 2026 transitional values for SO2, NO2, CO, O3): the limit a falsifier
# parks under, with the averaging time it applies to. PM uses the 24-hour limits (no 1-hour PM limit exists).
LIMITS: dict[str, tuple[str, float]] = {
    "PM2.5": ("24h", 75.0), "PM10": ("24h", 150.0), "SO2": ("1h", 500.0), "NO2": ("1h", 200.0),
    "CO": ("1h", 10.0), "O3": ("1h", 200.0),
}
DEFAULTS = {"band": 0.15, "p_value": 1e-3, "min_below": 5, "days": 30, "step_days": 1}


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    return float(sum(comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def _daily(panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """Daily means (≥ 20 valid hours, GB 3095-2012 Table 4) on UTC+8 calendar days, and each day's first row."""
    local_day = ((panel.times + 8 * HOUR).astype("datetime64[D]"))
    days, first = np.unique(local_day, return_index=True)
    which = np.searchsorted(days, local_day)
    valid = ~np.isnan(panel.values)
    sums = np.zeros((days.size, panel.values.shape[1]))
    counts = np.zeros_like(sums)
    np.add.at(sums, which, np.where(valid, panel.values, 0.0))
    np.add.at(counts, which, valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts >= 20, sums / counts, np.nan)
    return means, first


def detect_parked(panel: Panel, band: float = DEFAULTS["band"], p_value: float = DEFAULTS["p_value"],
                  min_below: int = DEFAULTS["min_below"], days: int = DEFAULTS["days"],
                  step_days: int = DEFAULTS["step_days"]) -> list[AlarmEvent]:
    """Stretches whose values pile up just below the limit: for 24 h limits `days` days of daily means
    stepped by `step_days`, for 1 h limits calendar months.

    Daily means slide: a falsifier's month need not start on the 1st, and a calendar month would split such an
    episode into two halves of a dozen days, too few to be significant on their own.
    """
    if panel.parameter not in LIMITS:
        return []
    averaging, limit = LIMITS[panel.parameter]
    if averaging == "24h":
        values, first = _daily(panel)
        last = np.r_[first[1:] - 1, panel.times.size - 1]
    else:
        values = panel.values
        first = last = np.arange(panel.times.size)
    width = band * limit
    with np.errstate(invalid="ignore"):
        below_all = (values > limit - width) & (values <= limit)
        above_all = (values > limit) & (values <= limit + width)
    if averaging == "24h":  # sliding windows of daily means
        starts = np.arange(0, max(values.shape[0] - days, 0) + 1, step_days)
        windows = [(int(a), int(a) + days) for a in starts]
    else:  # hundreds of hourly values a month: calendar months are large enough
        month = (panel.times + 8 * HOUR).astype("datetime64[M]")
        edges = np.r_[0, np.flatnonzero(month[1:] != month[:-1]) + 1, month.size]
        windows = list(zip(edges[:-1].tolist(), edges[1:].tolist()))
    found = []
    for s in range(values.shape[1]):
        # expected share below: the other stations pooled (the density's own slope at L), never less than ½
        others_below = below_all.sum() - below_all[:, s].sum()
        others_n = (below_all | above_all).sum() - (below_all | above_all)[:, s].sum()
        p0 = float(np.clip(others_below / max(int(others_n), 1), 0.5, 0.9))
        below, above = below_all[:, s], above_all[:, s]
        hits: list[tuple[int, int, int, int, float]] = []
        for a, b in windows:
            k, n = int(below[a:b].sum()), int((below | above)[a:b].sum())
            if k < min_below:
                continue
            p = binomial_tail(k, n, p0)
            if p < p_value:
                rows = a + np.flatnonzero(below[a:b])
                if hits and rows[0] <= hits[-1][1]:  # overlapping windows: one episode, keep the strongest
                    a0, _, k0, n0, p_best = hits[-1]
                    hits[-1] = (a0, int(rows[-1]), *((k, n, p) if p < p_best else (k0, n0, p_best)))
                else:
                    hits.append((int(rows[0]), int(rows[-1]), k, n, p))
        for r0, r1, k, n, p in hits:
            found.append(event("parked", panel, s, int(first[r0]), int(last[r1]),
                               score(np.log10(p_value) / np.log10(max(p, 1e-300)), 1.0) if p > 0 else 1.0,
                               {"below": k, "above": n - k, "p_value": p, "expected_share_below": p0,
                                "limit": limit, "band": width, "averaging": averaging}))
    return found
