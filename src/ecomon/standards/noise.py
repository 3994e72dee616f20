"""Environmental noise: GB 3096-2008 functional-zone limits and HJ 640-2012 grading of urban noise.

Levels are A-weighted equivalent continuous levels Leq in dB(A).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

DAY, NIGHT = "day", "night"

#: GB 3096-2008 Table 1, environmental noise limits Leq dB(A) per functional zone class: (day, night).
ZONE_LIMITS: dict[str, tuple[float, float]] = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4a": (70, 55),
    "4b": (70, 60),
}

#: GB 3096-2008 terms: day (昼间) 06:00–22:00, night (夜间) 22:00–06:00 local time.
DAY_HOURS = (6, 22)

#: GB 3096-2008 §5: at night the maximum level of sudden noise may exceed the zone limit by at most 15 dB(A).
NIGHT_SUDDEN_MARGIN = 15.0

#: HJ 640-2012 grading: upper bounds of grades 一级..四级 (a value on a bound takes the better grade),
#: anything above is 五级. Keyed by (assessment, period).
GRADE_BOUNDS: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("regional", DAY): (50.0, 55.0, 60.0, 65.0),
    ("regional", NIGHT): (40.0, 45.0, 50.0, 55.0),
    ("road", DAY): (68.0, 70.0, 72.0, 74.0),
    ("road", NIGHT): (58.0, 60.0, 62.0, 64.0),
}
GRADE_LABELS: tuple[str, ...] = ("", "一级", "二级", "三级", "四级", "五级")
GRADE_WORDS: tuple[str, ...] = ("", "好", "较好", "一般", "较差", "差")


def period_of_hour(hour: ArrayLike) -> np.ndarray:
    """ "day" for hours 6..21, "night" otherwise (GB 3096-2008 default day/night split)."""
    h = np.asarray(hour)
    start, end = DAY_HOURS
    return np.where((h >= start) & (h < end), DAY, NIGHT)


def _check_codes(values: np.ndarray, allowed: object, what: str) -> None:
    unknown = sorted(set(values.tolist()) - set(allowed))  # type: ignore[call-overload]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r} (expected one of {', '.join(map(str, allowed))})")


def zone_limit(zone: ArrayLike, period: ArrayLike) -> np.ndarray:
    """GB 3096-2008 limit per sample for functional zone class ("0", "1", "2", "3", "4a", "4b") and period."""
    z = np.asarray(zone, dtype=str)
    p = np.broadcast_to(np.asarray(period, dtype=str), z.shape)
    _check_codes(z, ZONE_LIMITS, "functional zone")
    _check_codes(p, (DAY, NIGHT), "period")
    day = np.array([ZONE_LIMITS[code][0] for code in z.ravel()], dtype=np.float64).reshape(z.shape)
    night = np.array([ZONE_LIMITS[code][1] for code in z.ravel()], dtype=np.float64).reshape(z.shape)
    return np.where(p == DAY, day, night)


def exceedance_db(leq: ArrayLike, limit: ArrayLike) -> np.ndarray:
    """dB(A) above the limit (0 when compliant, NaN when the level is missing)."""
    level = np.asarray(leq, dtype=np.float64)
    return np.where(np.isnan(level), np.nan, np.maximum(level - np.asarray(limit, dtype=np.float64), 0.0))


def night_sudden_compliant(lmax: ArrayLike, zone: ArrayLike) -> np.ndarray:
    """Night-time Lmax within zone night limit + 15 dB(A) (GB 3096-2008 §5)."""
    return np.asarray(lmax, dtype=np.float64) <= zone_limit(zone, NIGHT) + NIGHT_SUDDEN_MARGIN


def compliance_rate(compliant: ArrayLike) -> float:
    """Percentage of compliant measurements (功能区达标率), missing results excluded by the caller."""
    c = np.asarray(compliant, dtype=bool)
    if c.size == 0:
        raise ValueError("no measurement")
    return 100.0 * np.count_nonzero(c) / c.size


def hj640_grade(level: ArrayLike, assessment: str, period: str) -> np.ndarray:
    """HJ 640-2012 grade code 1..5 (0 for a missing level) of a regional or road-traffic mean level.

    The level is first rounded to 0.1 dB (the resolution the grading bounds are written in, half to even).
    """
    bounds = np.asarray(GRADE_BOUNDS[(assessment, period)])
    value = np.round(np.asarray(level, dtype=np.float64), 1)
    grade = 1 + (value[..., None] > bounds).sum(axis=-1)
    return np.where(np.isnan(value), 0, grade).astype(np.int8)


def leq(levels: ArrayLike, axis: int = -1) -> np.ndarray:
    """Energy mean level 10·lg(mean 10^(0.1·L)), skipping missing values."""
    power = np.power(10.0, 0.1 * np.asarray(levels, dtype=np.float64))
    count = np.sum(~np.isnan(power), axis=axis)
    total = np.nansum(power, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, 10.0 * np.log10(total / count), np.nan)


def ldn(day_level: ArrayLike, night_level: ArrayLike) -> np.ndarray:
    """Day-night level: 16 day hours and 8 night hours, night penalised by 10 dB."""
    day = np.power(10.0, 0.1 * np.asarray(day_level, dtype=np.float64))
    night = np.power(10.0, 0.1 * (np.asarray(night_level, dtype=np.float64) + 10.0))
    return 10.0 * np.log10((16.0 * day + 8.0 * night) / 24.0)


def statistical_levels(levels: ArrayLike) -> dict[str, float]:
    """L10, L50, L90: levels exceeded 10, 50 and 90 % of the time (missing values skipped)."""
    values = np.asarray(levels, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("no level")
    return {f"L{p}": float(np.percentile(values, 100 - p)) for p in (10, 50, 90)}


def length_weighted_level(levels: ArrayLike, lengths: ArrayLike) -> float:
    """Road-traffic mean Σ(l_i·L_i)/Σl_i over road sections of length l_i."""
    level = np.asarray(levels, dtype=np.float64)
    length = np.asarray(lengths, dtype=np.float64)
    if np.any(length < 0) or length.sum() <= 0:
        raise ValueError("road lengths must be non-negative with a positive total")
    return float(np.sum(level * length) / np.sum(length))
