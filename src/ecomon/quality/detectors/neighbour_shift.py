"""D8 quiet level shift against the neighbours (a station reads lower — or higher — than it used to).

Statistic: d = log(Σx / Σm) over the trailing `window` hours (x the station, m its neighbours' hourly median,
hours where both are present) minus the same log-ratio over the `baseline_days` before that window. A ratio of
sums weighs hours by their concentration, so low, noisy hours (winter O3, SO2 at its floor) cannot swing it,
and a ×0.6 shift is log 0.6 whatever the unit. A ten-day window averages out weather regimes that move a
station against its neighbours for two or three days. Threshold, for ≥ `min_hours` (fact-sheet D8; Greenstone
et al. 2022; SaQC flagJumps/flagDriftFromNorm) — three conditions, each with a physical reason:
1. size: |d| beyond ×`ratio` (a floor: even a calm series' 10-day ratio wanders by that much with the weather);
2. size against the local noise: |d| > `spread_factor` × the day-to-day spread (IQR/1.349) of the daily
   log-ratio, pooled from inside the window (weight `window_weight`) and the baseline days before it. A gain
   or offset change moves the level of the ratio but not its day-to-day scatter, so the step stands out
   against the scatter of the same days; weather excursions (a point-source plume, a few stagnant days) widen
   that scatter and so raise their own bar. The spread is local in time, so a series that is calm in April
   and noisy in July is judged by the scatter of its own weeks, not by one yearly figure;
3. the typical hour moved too: the median of the hourly log-ratios z (with the low-level offset c, which
   shrinks them: a ×0.6 shift reads about ×0.7 in z) in the window lies beyond ×`typical_ratio` of its median
   in the baseline days. A span error, a diluted sample or an edited calibration factor scales
   every hour; a ratio of sums carried by a few episodes does not move the median hour.
The event starts at the CUSUM change point of the hourly log-ratio inside the window that first crossed. O3 is
judged as total oxidant Ox = O3 + NO2 when NO2 is measured (`total_oxidant`; the catalogue does this):
titration by local NO moves O3 against the neighbours by ×0.5 for days, Ox not (O3 gave 0.67 of 2.14 natural
alarms per station-year on Beijing before; 0.06 after). SO2 and NO2 sums carry the analyser's detection limit
(HJ 654-2013), so near the floor a change counts by its absolute size (SO2 natural alarms 0.86 → 0.53), and
windows whose mean is below the limit of quantification (3 × that limit, `quantification_floor`) are not judged:
the 2013 SO2 record is reported to 0.29 µg/m³, so "10 reporting steps" let summer SO2 at 3–15 µg/m³ be judged,
and it gave 7 of the 15 natural D8 alarms of 2013–14 (15 → 9 with the floor, recall 0.82 → 0.81); the alarms
so saved were spent on `spread_factor` 2.2 → 2.0 (harness of 225 injected ×0.6 shifts, seeds 1–5: natural
0.39 → 0.53 per station-year, recall 0.81 → 0.83; 1.9 and 1.8 gained no more). PM2.5
and PM10 are also judged together, at a milder limit (`detect_particle_shift`). Conditions 2 and 3 replaced a
single yearly spread per series (Beijing 2013–2016, 5 injection seeds: natural alarms 1.19 → 0.58 per
station-year at the same recall). Tried and rejected on Beijing: a before/after step statistic (weather moves
the ratio in steps of days as well), the median of per-neighbour deviations, neighbours chosen by correlation
instead of distance, and the other parameters of the station as a veto (they rarely move with a natural
excursion of one parameter).
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.detectors.events import AlarmEvent, event, runs, score
from ecomon.quality.detectors.panel import DETECTION_LIMIT, Panel, quantification_floor, rolling

DEFAULTS = {"ratio": 0.75, "spread_factor": 2.0, "window_weight": 0.9, "typical_ratio": 0.82, "window": 240,
            "baseline_days": 30, "min_hours": 48, "offset_quantile": 0.1, "min_steps": 10, "joint_ratio": 0.75}



def log_ratio(panel: Panel, reference: np.ndarray, offset_quantile: float) -> np.ndarray:
    """z = log((x + c) / (m + c)), the station's hourly standing against its neighbours.

    c is a low-level offset (the panel's `offset_quantile`), so hours near zero do not dominate.
    """
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


def total_oxidant(o3: Panel, no2: Panel) -> Panel:
    """Ox = O3 + NO2 (µg/m³, same grid), labelled O3: the form in which O3 is compared with its neighbours.

    Fresh NO from traffic titrates O3 into NO2 (NO + O3 → NO2 + O2), so an urban station's O3 swings against its
    neighbours with local NO while Ox is conserved by that reaction (Clapp & Jenkin 2001, Atmos. Environ. 35).
    """
    return Panel(o3.parameter, o3.times, o3.stations, o3.values + no2.values)


def _trailing_sums(values: np.ndarray, width: int) -> np.ndarray:
    """Sum of each column over the trailing `width` rows (NaN counted as 0)."""
    c = np.cumsum(np.nan_to_num(values), axis=0)
    out = c.copy()
    out[width:] -= c[:-width]
    return out


def shift_deviation(panel: Panel, reference: np.ndarray, window: int, baseline_days: int,
                    min_steps: float, floor_offset: float = 0.0) -> np.ndarray:
    """d(t): log ratio of sums over the trailing window minus the same over the baseline days before it.

    `floor_offset` (the analyser's detection limit) is added to every hour of both series: near the limit a
    ratio measures instrument noise and quantisation, so there a change counts by its absolute size.
    """
    x = panel.values
    both = ~np.isnan(x) & ~np.isnan(reference)
    xs, ms = np.where(both, x + floor_offset, 0.0), np.where(both, reference + floor_offset, 0.0)
    n = _trailing_sums(both.astype(float), window)
    long = baseline_days * 24 + window
    n_long = _trailing_sums(both.astype(float), long) - n
    sx, sm = _trailing_sums(xs, window), _trailing_sums(ms, window)
    bx, bm = _trailing_sums(xs, long) - sx, _trailing_sums(ms, long) - sm
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.log(sx / sm) - np.log(bx / bm)  # ±inf/NaN where a sum is 0: never beyond a finite limit
    # ratios of near-floor levels measure instrument offsets, not the air: judge only above the limit of
    # quantification (and min_steps reporting steps)
    floor = quantification_floor(panel.parameter, x, min_steps)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = (sm / np.maximum(n, 1) - floor_offset < floor) | (bm / np.maximum(n_long, 1) - floor_offset < floor)
    d[(n < window / 2) | (n_long < baseline_days * 8) | low] = np.nan
    d[:long] = np.nan
    return d


def _onset(signed_z: np.ndarray, lo: int, hi: int, history: int) -> int:
    """CUSUM change point in rows lo..hi: the start of the largest suffix sum of z above its earlier median."""
    before = signed_z[max(0, lo - history):lo]
    level = float(np.nanmedian(before)) if np.isfinite(before).any() else 0.0
    suffix = np.cumsum(np.nan_to_num(signed_z[lo:hi + 1] - level)[::-1])[::-1]
    return lo + int(np.argmax(suffix))


def daily_log_ratio(panel: Panel, reference: np.ndarray, floor_offset: float = 0.0) -> np.ndarray:
    """log(Σx / Σm) over the trailing 24 h at every hour (NaN with fewer than 12 paired hours)."""
    x = panel.values
    both = ~np.isnan(x) & ~np.isnan(reference)
    xs, ms = np.where(both, x + floor_offset, 0.0), np.where(both, reference + floor_offset, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.log(_trailing_sums(xs, 24) / _trailing_sums(ms, 24))
    y[(_trailing_sums(both.astype(float), 24) < 12) | ~np.isfinite(y)] = np.nan
    return y


def day_to_day_spread(y: np.ndarray, hours: int) -> np.ndarray:
    """Robust spread (IQR / 1.349) of the daily log-ratio over the trailing `hours` (hourly-sampled days)."""
    return (rolling(y, hours, "q75", hours // 3) - rolling(y, hours, "q25", hours // 3)) / 1.349


def local_limit(y: np.ndarray, window: int, baseline_days: int, window_weight: float) -> np.ndarray:
    """Pooled day-to-day spread of the daily log-ratio inside the window and over the baseline days before it."""
    inside = day_to_day_spread(y, window)
    before = np.full(y.shape, np.nan)
    before[window:] = day_to_day_spread(y, baseline_days * 24)[:-window]
    return np.sqrt(window_weight * inside ** 2 + (1 - window_weight) * np.fmax(before, 0) ** 2)


def typical_hour_shift(panel: Panel, reference: np.ndarray, window: int, baseline_days: int,
                       offset_quantile: float, floor_offset: float = 0.0) -> np.ndarray:
    """Median hourly log-ratio over the trailing window minus its median over the baseline days before it."""
    z = log_ratio(Panel(panel.parameter, panel.times, panel.stations, panel.values + floor_offset),
                  reference + floor_offset, offset_quantile)
    return rolling(z, window, "median", window // 2) - baseline(z, baseline_days, window)


def detect_neighbour_shift(panel: Panel, reference: np.ndarray, ratio: float = DEFAULTS["ratio"],
                           window: int = DEFAULTS["window"], baseline_days: int = DEFAULTS["baseline_days"],
                           min_hours: int = DEFAULTS["min_hours"],
                           offset_quantile: float = DEFAULTS["offset_quantile"],
                           spread_factor: float = DEFAULTS["spread_factor"],
                           window_weight: float = DEFAULTS["window_weight"],
                           typical_ratio: float = DEFAULTS["typical_ratio"],
                           min_steps: float = DEFAULTS["min_steps"]) -> list[AlarmEvent]:
    """Sustained departures of the station/neighbour ratio from its own recent normal; one event per run."""
    floor_offset = DETECTION_LIMIT.get(panel.parameter, 0.0)
    dev = shift_deviation(panel, reference, window, baseline_days, min_steps, floor_offset)
    noise = local_limit(daily_log_ratio(panel, reference, floor_offset), window, baseline_days, window_weight)
    limit = np.fmax(-np.log(ratio), spread_factor * noise)
    typical = typical_hour_shift(panel, reference, window, baseline_days, offset_quantile, floor_offset)
    z = log_ratio(panel, reference, offset_quantile)
    found = []
    for s in range(dev.shape[1]):
        if not np.isfinite(dev[:, s]).any():
            continue
        for sign, name in ((-1, "down"), (1, "up")):
            with np.errstate(invalid="ignore"):
                beyond = (sign * dev[:, s] > limit[:, s]) & (sign * typical[:, s] > -np.log(typical_ratio))
            for a0, a, b in _episodes(runs(beyond, min_hours), sign * z[:, s], window, baseline_days):
                k = a + int(np.nanargmax(sign * dev[a:b + 1, s]))
                peak = float(sign * dev[k, s])
                found.append(event("neighbour_shift", panel, s, a0, b, score(peak, float(limit[k, s])),
                                   {"direction": name, "ratio": float(np.exp(sign * peak)),
                                    "threshold_ratio": float(np.exp(-sign * limit[k, s])),
                                    "typical_hour_ratio": float(np.exp(typical[k, s])),
                                    "day_to_day_spread": float(noise[k, s]), "hours": b - a0 + 1},
                                   reference[:, s]))
    return found


def _episodes(crossings: tuple[np.ndarray, np.ndarray], signed_z: np.ndarray, window: int,
              baseline_days: int) -> list[tuple[int, int, int]]:
    """(onset, first crossing, end) per episode: a run whose onset falls inside the previous event continues it.

    The 10-day statistic can dip under its limit for a few hours in the middle of one long departure; reporting
    that as two overlapping alarms would count one episode twice.
    """
    out: list[tuple[int, int, int]] = []
    for a, b in zip(*crossings):
        a0 = _onset(signed_z, max(0, a - window), a, 24 * baseline_days)
        if out and a0 <= out[-1][2]:
            out[-1] = (out[-1][0], out[-1][1], int(b))
        else:
            out.append((a0, int(a), int(b)))
    return out


def detect_particle_shift(pm25: Panel, pm10: Panel, ref25: np.ndarray, ref10: np.ndarray,
                          ratio: float = DEFAULTS["joint_ratio"], window: int = DEFAULTS["window"],
                          baseline_days: int = DEFAULTS["baseline_days"], min_hours: int = DEFAULTS["min_hours"],
                          offset_quantile: float = DEFAULTS["offset_quantile"],
                          min_steps: float = DEFAULTS["min_steps"]) -> list[AlarmEvent]:
    """PM2.5 and PM10 of one station both shifted the same way beyond ×`ratio` for ≥ `min_hours`: one event.

    The two fractions are measured by separate samplers, so their ratios to the neighbours wander apart when
    only the air varies (a dust source moves PM10, a combustion source PM2.5), while a covered or sprayed inlet,
    a moved or shielded station, or an edited record moves both together (Xi'an 2016: gauze over both samplers).
    Two independent series beyond a milder limit are as rare as one beyond the single-series limit: on the
    Beijing record 0.03 natural events per station-year at ×0.75.
    """
    devs = [shift_deviation(p, r, window, baseline_days, min_steps) for p, r in ((pm25, ref25), (pm10, ref10))]
    z = (log_ratio(pm25, ref25, offset_quantile) + log_ratio(pm10, ref10, offset_quantile)) / 2
    limit = -np.log(ratio)
    found = []
    for s in range(devs[0].shape[1]):
        for sign, name in ((-1, "down"), (1, "up")):
            with np.errstate(invalid="ignore"):
                both = (sign * devs[0][:, s] > limit) & (sign * devs[1][:, s] > limit)
            for a0, a, b in _episodes(runs(both, min_hours), sign * z[:, s], window, baseline_days):
                peaks = [float(np.nanmax(sign * d[a:b + 1, s])) for d in devs]
                found.append(event("neighbour_shift", pm25, s, a0, b, score(min(peaks), limit),
                                   {"direction": name, "ratio_PM2.5": float(np.exp(sign * peaks[0])),
                                    "ratio_PM10": float(np.exp(sign * peaks[1])),
                                    "threshold_ratio": float(np.exp(-sign * limit)), "hours": b - a0 + 1,
                                    "judged_as": "PM2.5 and PM10 together"},
                                   ref25[:, s], parameter=""))
    return found
