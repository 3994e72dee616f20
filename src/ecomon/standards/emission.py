"""Pollution sources: reference-oxygen conversion, exceedance against a `LimitSet`, CEMS data validity and
emission loads against permitted totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

AIR_O2 = 21.0

#: HJ 212-2017 §6.6.4 data flags: N (normal) and S (manually set value) are valid; F (stopped), M
#: (maintenance), D (fault), C (calibration), T (above range), B (communication failure) are not. HJ/T
#: 212-2005 adds P (power failure), also invalid.
VALID_FLAGS = frozenset({"N", "S"})
KNOWN_FLAGS = frozenset({"N", "S", "F", "M", "D", "C", "T", "B", "P"})

#: HJ 76-2017 Annex B (data validity of flue-gas CEMS): an hour needs ≥ 45 valid minute values, a day
#: ≥ 20 valid hours, a month ≥ 25 valid days (≥ 23 in February).
MIN_VALID_MINUTES = 45
MIN_VALID_HOURS = 20
MIN_VALID_DAYS = 25
MIN_VALID_DAYS_FEBRUARY = 23

#: Concentration units → kg per m³ of gas or water; flow units → m³ per hour.
CONCENTRATION_TO_KG_PER_M3 = {"mg/m3": 1e-6, "ug/m3": 1e-9, "mg/L": 1e-3, "ug/L": 1e-6}
FLOW_TO_M3_PER_H = {"m3/h": 1.0, "m3/s": 3600.0, "L/s": 3.6, "m3/d": 1.0 / 24.0}


def reference_oxygen(concentration: ArrayLike, o2_measured: ArrayLike, o2_ref: float) -> np.ndarray:
    """折算浓度 C_ref = C·(21 − O2_ref)/(21 − O2) (GB 13271-2014 §5.2 formula 1; same in GB 13223-2011).

    NaN where O2 is missing or not below 21 % (air: nothing to convert).
    """
    c = np.asarray(concentration, dtype=np.float64)
    o2 = np.asarray(o2_measured, dtype=np.float64)
    usable = o2 < AIR_O2
    return np.where(usable, c * (AIR_O2 - o2_ref) / np.where(usable, AIR_O2 - o2, 1.0), np.nan)


def flag_valid(flags: ArrayLike) -> np.ndarray:
    """True for data flagged N or S; unknown flags raise (they are a protocol error, not a data state)."""
    codes = np.asarray(flags, dtype=str)
    unknown = set(codes.tolist()) - KNOWN_FLAGS
    if unknown:
        raise ValueError(f"unknown HJ 212 data flag {min(unknown)!r}")
    return np.isin(codes, list(VALID_FLAGS))


def hour_valid(valid_minutes: ArrayLike) -> np.ndarray:
    """An hourly value counts when at least 45 minute values were valid (HJ 76-2017 Annex B)."""
    return np.asarray(valid_minutes) >= MIN_VALID_MINUTES


def day_valid(valid_hours: ArrayLike) -> np.ndarray:
    """A daily value counts with at least 20 valid hours (HJ 76-2017 Annex B)."""
    return np.asarray(valid_hours) >= MIN_VALID_HOURS


def month_valid(valid_days: ArrayLike, month: ArrayLike) -> np.ndarray:
    """A monthly value counts with at least 25 valid days, 23 in February (HJ 76-2017 Annex B)."""
    needed = np.where(np.asarray(month) == 2, MIN_VALID_DAYS_FEBRUARY, MIN_VALID_DAYS)
    return np.asarray(valid_days) >= needed


def exceedance_multiple(concentration: ArrayLike, limit: float) -> np.ndarray:
    """(C − limit)/limit where C exceeds the limit, NaN otherwise (also for missing C)."""
    c = np.asarray(concentration, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(c > limit, (c - limit) / limit, np.nan)


def daily_means(
    hours: pl.DataFrame, by: Sequence[str], day: str, pollutants: Sequence[str], valid: str
) -> pl.DataFrame:
    """Daily mean of the valid hours per outlet and day, with the count of valid hours and the day's validity.

    `hours` has one row per outlet-hour; `valid` is a boolean column saying whether the hour counts, `day`
    the calendar day. Invalid hours neither enter the mean nor the count.
    """
    keys = [*by, day]
    aggregated = hours.group_by(keys, maintain_order=True).agg(
        pl.col(valid).sum().alias("valid_hours"),
        *(pl.col(p).filter(pl.col(valid)).mean().alias(p) for p in pollutants),
    )
    return aggregated.with_columns((pl.col("valid_hours") >= MIN_VALID_HOURS).alias("day_valid"))


def emission_load(
    concentration: ArrayLike,
    flow: ArrayLike,
    hours: ArrayLike = 1.0,
    concentration_unit: str = "mg/m3",
    flow_unit: str = "m3/h",
) -> np.ndarray:
    """Emitted mass in kg = C × Q × t.

    Use the measured concentration (not the O2-converted one) with the dry standard-state flow: the
    conversion to reference O2 is a compliance yardstick, not a change in the mass emitted.
    """
    try:
        to_kg = CONCENTRATION_TO_KG_PER_M3[concentration_unit]
        to_m3_h = FLOW_TO_M3_PER_H[flow_unit]
    except KeyError as exc:
        raise ValueError(f"unknown unit {exc.args[0]!r}") from None
    c = np.asarray(concentration, dtype=np.float64)
    q = np.asarray(flow, dtype=np.float64)
    return c * to_kg * q * to_m3_h * np.asarray(hours, dtype=np.float64)


@dataclass(frozen=True)
class PermitUsage:
    """Emitted total against the permitted total (排污许可 permitted emission, tonnes)."""

    emitted_t: float
    permitted_t: float

    @property
    def share(self) -> float:
        """Fraction of the permitted total used."""
        return self.emitted_t / self.permitted_t

    @property
    def exceeded(self) -> bool:
        return self.emitted_t > self.permitted_t


def permit_usage(loads_kg: ArrayLike, permitted_t: float) -> PermitUsage:
    """Sum the loads of a period (missing hours skipped) and compare with the permitted total."""
    if permitted_t <= 0:
        raise ValueError("the permitted total must be positive")
    return PermitUsage(float(np.nansum(np.asarray(loads_kg, dtype=np.float64))) / 1000.0, permitted_t)
