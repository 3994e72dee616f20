"""Soil pollution risk: GB 15618-2018 (agricultural land) and GB 36600-2018 (construction land).

Concentrations in mg/kg dry soil. Each sample is compared with the risk screening value (筛选值) and the
risk intervention value (管制值) of its land use (and, for farmland, its soil pH).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

PADDY, ORCHARD, OTHER = "paddy", "orchard", "other"

#: GB 15618-2018 Tables 1 and 3: upper pH bounds of the bands pH ≤ 5.5, 5.5 < pH ≤ 6.5, 6.5 < pH ≤ 7.5, > 7.5.
PH_BAND_UPPER = (5.5, 6.5, 7.5)

#: GB 15618-2018 Table 1, risk screening values per pH band, keyed by (metal, land) where land is the
#: table's sub-row: paddy (水田) vs other for Cd, Hg, As, Pb, Cr; orchard (果园) vs other for Cu; all for Ni, Zn.
SCREENING_15618: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("Cd", PADDY): (0.3, 0.4, 0.6, 0.8),
    ("Cd", OTHER): (0.3, 0.3, 0.3, 0.6),
    ("Hg", PADDY): (0.5, 0.5, 0.6, 1.0),
    ("Hg", OTHER): (1.3, 1.8, 2.4, 3.4),
    ("As", PADDY): (30, 30, 25, 20),
    ("As", OTHER): (40, 40, 30, 25),
    ("Pb", PADDY): (80, 100, 140, 240),
    ("Pb", OTHER): (70, 90, 120, 170),
    ("Cr", PADDY): (250, 250, 300, 350),
    ("Cr", OTHER): (150, 150, 200, 250),
    ("Cu", ORCHARD): (150, 150, 200, 200),
    ("Cu", OTHER): (50, 50, 100, 100),
    ("Ni", OTHER): (60, 70, 100, 190),
    ("Zn", OTHER): (200, 200, 250, 300),
}

#: GB 15618-2018 Table 3, risk intervention values per pH band (same for every land use; none for Cu, Ni, Zn).
INTERVENTION_15618: dict[str, tuple[float, float, float, float]] = {
    "Cd": (1.5, 2.0, 3.0, 4.0),
    "Hg": (2.0, 2.5, 4.0, 6.0),
    "As": (200, 150, 120, 100),
    "Pb": (400, 500, 700, 1000),
    "Cr": (800, 850, 1000, 1300),
}

#: Categories of agricultural land by its GB 15618-2018 screening and intervention values (土壤污染防治法
#: §49 and the land-category classification that applies the standard).
CATEGORIES_15618: tuple[str, ...] = ("优先保护类", "安全利用类", "严格管控类")

#: GB 36600-2018 Table 1 (basic items: the seven heavy metals and inorganics, and a selection of the organic
#: compounds; keys are the CLI column names): (screening class 1, screening class 2,
#: intervention class 1, intervention class 2). First-class land (第一类用地): housing, schools, hospitals,
#: children's parks …; second-class land (第二类用地): industry, logistics, commerce …. Where the local
#: background of As exceeds the screening value, the background applies (Table 1 note); the caller decides.
TABLE_36600: dict[str, tuple[float, float, float, float]] = {
    "As": (20, 60, 120, 140),
    "Cd": (20, 65, 47, 172),
    "Cr6": (3.0, 5.7, 30, 78),
    "Cu": (2000, 18000, 8000, 36000),
    "Pb": (400, 800, 800, 2500),
    "Hg": (8, 38, 33, 82),
    "Ni": (150, 900, 600, 2000),
    # GB 36600-2018 Table 1, volatile organic compounds (a selection of the 27 basic items)
    "CCl4": (0.9, 2.8, 9, 36),                 # 四氯化碳
    "chloroform": (0.3, 0.9, 5, 10),           # 氯仿
    "vinyl_chloride": (0.12, 0.43, 1.2, 4.3),  # 氯乙烯
    "TCE": (0.7, 2.8, 7, 20),                  # 三氯乙烯
    "benzene": (1, 4, 10, 40),                 # 苯
    "toluene": (1200, 1200, 1200, 1200),       # 甲苯
    "ethylbenzene": (7.2, 28, 72, 280),        # 乙苯
    # GB 36600-2018 Table 1, semi-volatile organic compounds (a selection of the 11 basic items)
    "naphthalene": (25, 70, 255, 700),         # 萘
    "BaP": (0.55, 1.5, 5.5, 15),               # 苯并[a]芘
    "BaA": (5.5, 15, 55, 151),                 # 苯并[a]蒽
    "DBahA": (0.55, 1.5, 5.5, 15),             # 二苯并[a,h]蒽
}

#: Risk levels of a construction-land sample against GB 36600-2018 (below screening: risk negligible;
#: above screening: detailed investigation; above intervention: risk control or remediation).
LEVELS_36600: tuple[str, ...] = ("低于筛选值", "超筛选值", "超管制值")


@dataclass(frozen=True)
class SoilAssessment:
    """Per-sample category code (0, 1, 2 into the category words; -1 when nothing measured) and per-item
    multiples over the screening and intervention values (NaN where not exceeded or not applicable)."""

    category: np.ndarray
    over_screening: dict[str, np.ndarray]
    over_intervention: dict[str, np.ndarray]


def ph_band(ph: ArrayLike) -> np.ndarray:
    """Band index 0..3 of GB 15618-2018 (upper bound inclusive); -1 for a missing pH."""
    value = np.asarray(ph, dtype=np.float64)
    band = np.searchsorted(np.asarray(PH_BAND_UPPER), value, side="left")
    return np.where(np.isnan(value), -1, band)


def _land_row(metal: str, land: np.ndarray) -> np.ndarray:
    """Which sub-row of Table 1 each sample uses for `metal`, as a land code."""
    if (metal, PADDY) in SCREENING_15618:
        return np.where(land == PADDY, PADDY, OTHER)
    if (metal, ORCHARD) in SCREENING_15618:
        return np.where(land == ORCHARD, ORCHARD, OTHER)
    return np.full(land.shape, OTHER)


def _by_band(table: tuple[float, float, float, float], band: np.ndarray) -> np.ndarray:
    values = np.asarray(table, dtype=np.float64)[np.clip(band, 0, 3)]
    return np.where(band < 0, np.nan, values)


def _multiple(values: np.ndarray, limit: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(values > limit, (values - limit) / limit, np.nan)


def _categorise(
    over_screening: dict[str, np.ndarray], over_intervention: dict[str, np.ndarray], measured: np.ndarray
) -> np.ndarray:
    n = measured.shape[0]
    screening = np.logical_or.reduce([~np.isnan(m) for m in over_screening.values()] or [np.zeros(n, bool)])
    intervention = np.logical_or.reduce(
        [~np.isnan(m) for m in over_intervention.values()] or [np.zeros(n, bool)]
    )
    category = np.where(intervention, 2, np.where(screening, 1, 0))
    return np.where(measured, category, -1)


def assess_agricultural(samples: Mapping[str, ArrayLike], ph: ArrayLike, land: ArrayLike) -> SoilAssessment:
    """GB 15618-2018: 优先保护类 (all ≤ screening), 安全利用类 (some > screening, all ≤ intervention),
    严格管控类 (any > intervention). `land` per sample is "paddy", "orchard" or "other"."""
    band = ph_band(ph)
    land_codes = np.broadcast_to(np.asarray(land, dtype=str), band.shape)
    unknown = set(land_codes.tolist()) - {PADDY, ORCHARD, OTHER}
    if unknown:
        raise ValueError(f"unknown land use {min(unknown)!r} (expected paddy, orchard or other)")
    metals = sorted({metal for metal, _ in SCREENING_15618} & set(samples))
    if not metals:
        raise ValueError("no GB 15618-2018 item (Cd, Hg, As, Pb, Cr, Cu, Ni, Zn) in the samples")
    over_screening: dict[str, np.ndarray] = {}
    over_intervention: dict[str, np.ndarray] = {}
    measured = np.zeros(band.shape, dtype=bool)
    for metal in metals:
        values = np.asarray(samples[metal], dtype=np.float64)
        measured |= ~np.isnan(values) & (band >= 0)
        rows = _land_row(metal, land_codes)
        screening = np.full(band.shape, np.nan)
        for code in np.unique(rows):
            chosen = rows == code
            screening[chosen] = _by_band(SCREENING_15618[(metal, str(code))], band[chosen])
        over_screening[metal] = _multiple(values, screening)
        if metal in INTERVENTION_15618:
            over_intervention[metal] = _multiple(values, _by_band(INTERVENTION_15618[metal], band))
    return SoilAssessment(
        _categorise(over_screening, over_intervention, measured), over_screening, over_intervention
    )


def assess_construction(samples: Mapping[str, ArrayLike], land_class: ArrayLike) -> SoilAssessment:
    """GB 36600-2018 Table 1 items against the values of land class 1 or 2 per sample."""
    metals = [metal for metal in TABLE_36600 if metal in samples]
    if not metals:
        raise ValueError(f"no GB 36600-2018 item ({', '.join(TABLE_36600)}) in the samples")
    n = np.asarray(samples[metals[0]]).shape[0]
    klass = np.broadcast_to(np.asarray(land_class, dtype=np.int64), (n,))
    if not np.isin(klass, (1, 2)).all():
        raise ValueError("land class must be 1 or 2 (GB 36600-2018 first- or second-class land)")
    over_screening: dict[str, np.ndarray] = {}
    over_intervention: dict[str, np.ndarray] = {}
    measured = np.zeros(n, dtype=bool)
    for metal in metals:
        values = np.asarray(samples[metal], dtype=np.float64)
        measured |= ~np.isnan(values)
        s1, s2, i1, i2 = TABLE_36600[metal]
        over_screening[metal] = _multiple(values, np.where(klass == 1, s1, s2))
        over_intervention[metal] = _multiple(values, np.where(klass == 1, i1, i2))
    return SoilAssessment(
        _categorise(over_screening, over_intervention, measured), over_screening, over_intervention
    )
