"""Ambient gamma air absorbed dose rate (nGy/h) at automatic stations: investigation level and background.

No national alarm threshold exists; stations are judged against their own baseline (mean + k·σ of at least a
year of valid data, k = 3 by the practice of the national network) and against the local natural background
range published for the city (e.g. Beijing 60.2–119.9 nGy/h in the national releases of 2011).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_SIGMA_MULTIPLE = 3.0


@dataclass(frozen=True)
class Baseline:
    """A station's background: mean and standard deviation of its dose rate (nGy/h)."""

    mean: float
    sd: float
    count: int

    def investigation_level(self, k: float = DEFAULT_SIGMA_MULTIPLE) -> float:
        """mean + k·σ."""
        return self.mean + k * self.sd


def baseline(dose_rates: ArrayLike) -> Baseline:
    """Mean and sample standard deviation of the valid readings (NaN skipped)."""
    values = np.asarray(dose_rates, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size < 2:
        raise ValueError("a baseline needs at least two readings")
    return Baseline(float(values.mean()), float(values.std(ddof=1)), int(values.size))


def above_investigation_level(
    dose_rate: ArrayLike, mean: ArrayLike, sd: ArrayLike, k: float = DEFAULT_SIGMA_MULTIPLE
) -> np.ndarray:
    """Readings above mean + k·σ (False for missing readings)."""
    rate = np.asarray(dose_rate, dtype=np.float64)
    return rate > np.asarray(mean, dtype=np.float64) + k * np.asarray(sd, dtype=np.float64)


def background_verdict(dose_rate: ArrayLike, low: ArrayLike, high: ArrayLike) -> np.ndarray:
    """ "正常" inside the local background range (inclusive), "偏高" above, "偏低" below, "" when missing."""
    rate = np.asarray(dose_rate, dtype=np.float64)
    verdict = np.where(rate > np.asarray(high), "偏高", np.where(rate < np.asarray(low), "偏低", "正常"))
    return np.where(np.isnan(rate), "", verdict)
