"""Ecological status index EI of a region, HJ 192-2015 (生态环境状况评价技术规范)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: HJ 192-2015, EI formula: weights of the sub-indices: biological abundance, vegetation cover, water network
#: density, land stress (counted as 100 − index) and pollution load (counted as 100 − index).
WEIGHTS = {
    "biological_abundance": 0.35,
    "vegetation_cover": 0.25,
    "water_network": 0.15,
    "land_stress": 0.15,
    "pollution_load": 0.10,
}

#: HJ 192-2015 grading table: lower bounds of 优 (≥ 75), 良 (55–75), 一般 (35–55), 较差 (20–35), 差 (< 20).
GRADE_LOWER_BOUNDS = (75.0, 55.0, 35.0, 20.0)
GRADES: tuple[str, ...] = ("优", "良", "一般", "较差", "差")

#: HJ 192-2015 change-degree table (values from secondary copies, not re-read in the standard):
#: |ΔEI| < 1 no obvious change, 1–3 slight, 3–8 obvious, ≥ 8 significant.
CHANGE_BOUNDS = (1.0, 3.0, 8.0)
CHANGE_WORDS: tuple[str, ...] = ("无明显变化", "略微变化", "明显变化", "显著变化")


def ecological_index(
    biological_abundance: ArrayLike,
    vegetation_cover: ArrayLike,
    water_network: ArrayLike,
    land_stress: ArrayLike,
    pollution_load: ArrayLike,
) -> np.ndarray:
    """EI before the environmental-restriction adjustment (sub-indices on their 0–100 scales)."""
    w = WEIGHTS
    return (
        w["biological_abundance"] * np.asarray(biological_abundance, dtype=np.float64)
        + w["vegetation_cover"] * np.asarray(vegetation_cover, dtype=np.float64)
        + w["water_network"] * np.asarray(water_network, dtype=np.float64)
        + w["land_stress"] * (100.0 - np.asarray(land_stress, dtype=np.float64))
        + w["pollution_load"] * (100.0 - np.asarray(pollution_load, dtype=np.float64))
    )


def grade_index(ei: ArrayLike, downgrade: ArrayLike = 0) -> np.ndarray:
    """Grade index 0..4 (优..差); `downgrade` lowers it by that many grades, which is how the environmental
    restriction index of HJ 192-2015 acts on the result (events that forbid 优/良 or lower the grade)."""
    value = np.asarray(ei, dtype=np.float64)
    index = (value[..., None] < np.asarray(GRADE_LOWER_BOUNDS)).sum(axis=-1)
    return np.minimum(index + np.asarray(downgrade, dtype=np.int64), len(GRADES) - 1)


def grade_words(ei: ArrayLike, downgrade: ArrayLike = 0) -> np.ndarray:
    """优 / 良 / 一般 / 较差 / 差 per EI (empty string for NaN)."""
    value = np.asarray(ei, dtype=np.float64)
    words = np.asarray(GRADES, dtype=object)[grade_index(np.nan_to_num(value), downgrade)]
    return np.where(np.isnan(value), "", words)


def change_words(delta_ei: ArrayLike) -> np.ndarray:
    """Degree of change of EI between two periods by |ΔEI|; the sign says better or worse."""
    magnitude = np.abs(np.asarray(delta_ei, dtype=np.float64))
    return np.asarray(CHANGE_WORDS, dtype=object)[
        (magnitude[..., None] >= np.asarray(CHANGE_BOUNDS)).sum(axis=-1)
    ]
