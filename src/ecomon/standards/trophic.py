"""Trophic state of lakes and reservoirs: comprehensive trophic level index TLI(Σ).

Method of 湖泊（水库）富营养化评价方法及分级技术规定 (中国环境监测总站 总站生字〔2001〕090号), also used by
环办〔2011〕22号 for lakes and reservoirs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

#: 总站生字〔2001〕090号: TLI(j) = 10·(a + b·ln C_j). Units: chla mg/m³, SD m, the others mg/L.
TLI_COEFFICIENTS: dict[str, tuple[float, float]] = {
    "chla": (2.5, 1.086),
    "TP": (9.436, 1.624),
    "TN": (5.453, 1.694),
    "SD": (5.118, -1.94),
    "CODMn": (0.109, 2.661),
}

#: 总站生字〔2001〕090号: correlation r_ij of each parameter with chla (Chinese lakes); W_j = r_j² / Σ r².
CORRELATION_WITH_CHLA: dict[str, float] = {"chla": 1.0, "TP": 0.84, "TN": 0.82, "SD": -0.83, "CODMn": 0.83}

#: 总站生字〔2001〕090号 grading: TLI < 30 贫营养, 30 ≤ TLI ≤ 50 中营养, 50 < TLI ≤ 60 轻度富营养,
#: 60 < TLI ≤ 70 中度富营养, TLI > 70 重度富营养.
TROPHIC_GRADES: tuple[str, ...] = ("贫营养", "中营养", "轻度富营养", "中度富营养", "重度富营养")


def tli_single(parameter: str, values: ArrayLike) -> np.ndarray:
    """TLI of one parameter; NaN where the value is missing or not positive (no logarithm)."""
    a, b = TLI_COEFFICIENTS[parameter]
    v = np.asarray(values, dtype=np.float64)
    positive = v > 0
    return np.where(positive, 10.0 * (a + b * np.log(np.where(positive, v, 1.0))), np.nan)


def tli(samples: Mapping[str, ArrayLike]) -> np.ndarray:
    """TLI(Σ) = Σ W_j·TLI(j), the weights taken over the parameters measured in each sample.

    With all five parameters the weights are 0.2663, 0.1879, 0.1790, 0.1834, 0.1834; with fewer, r² is
    renormalised over those present, as the formula W_j = r_j²/Σ r_j² prescribes. NaN when none is present.
    """
    present = [p for p in TLI_COEFFICIENTS if p in samples]
    if not present:
        raise ValueError(f"no trophic parameter among {', '.join(TLI_COEFFICIENTS)}")
    levels = np.stack([tli_single(p, samples[p]) for p in present])
    r2 = np.array([CORRELATION_WITH_CHLA[p] ** 2 for p in present])[:, None]
    weights = np.where(np.isnan(levels), 0.0, r2)
    total = weights.sum(axis=0)
    weighted = np.where(np.isnan(levels), 0.0, levels * weights).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / np.where(total > 0, total, 1.0), np.nan)


def trophic_grade(values: ArrayLike) -> np.ndarray:
    """Grade word per TLI(Σ) value (empty string for NaN); 30 and 50 are 中营养, 60 and 70 the milder grade."""
    v = np.asarray(values, dtype=np.float64)
    index = (v >= 30).astype(int) + (v > 50) + (v > 60) + (v > 70)
    return np.where(np.isnan(v), "", np.asarray(TROPHIC_GRADES, dtype=object)[index])
