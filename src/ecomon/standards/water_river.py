"""Status of a river, basin or water system from its sections (环办〔2011〕22号, river and basin evaluation).

With fewer than five sections the indicators are averaged over the sections and classed like one section;
with five or more the section-class proportion method applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ecomon.standards.water import classify
from ecomon.standards.water_tables import INFERIOR_V, RIVER, STATUS_WORDS

#: Below this many sections the mean-of-sections method applies.
MIN_SECTIONS_FOR_PROPORTION = 5

#: 环办〔2011〕22号, section-proportion table, as (status, share of class I–III at least, share of 劣V below).
#: Shares are in percent; rows are tried in order.
PROPORTION_RULES: tuple[tuple[str, int, int | None], ...] = (
    ("优", 90, None),
    ("良好", 75, None),
    ("轻度污染", 0, 20),
    ("中度污染", 0, 40),
    ("重度污染", 0, None),
)


@dataclass(frozen=True)
class BasinStatus:
    """Status word and the figures behind it."""

    status: str
    method: str  # "proportion" or "mean"
    sections: int
    share_good: float  # percent of sections in class I–III
    share_inferior: float  # percent of sections in 劣V


def proportion_status(section_classes: ArrayLike) -> BasinStatus:
    """Section-class proportion method over the evaluated sections (class codes 1..6; 0 = not evaluated)."""
    classes = np.asarray(section_classes)
    classes = classes[classes > 0]
    n = classes.size
    if n == 0:
        raise ValueError("no evaluated section")
    good = int(np.count_nonzero(classes <= 3))
    inferior = int(np.count_nonzero(classes == INFERIOR_V))
    for status, good_at_least, inferior_below in PROPORTION_RULES:
        # integer comparison: share ≥ p %  ⇔  100·count ≥ p·n, no rounding at the edges
        if 100 * good >= good_at_least * n and (
            inferior_below is None or 100 * inferior < inferior_below * n
        ):
            break
    return BasinStatus(status, "proportion", n, 100 * good / n, 100 * inferior / n)


def _mean(values: np.ndarray) -> float:
    measured = values[~np.isnan(values)]
    return float(measured.mean()) if measured.size else float("nan")


def basin_status(
    section_classes: ArrayLike,
    section_means: Mapping[str, ArrayLike],
    waterbody: str = RIVER,
) -> BasinStatus:
    """Status of a river/basin: proportion method from five sections on, else class of the sections' mean.

    `section_classes` and `section_means` describe the same sections in the same order (the period class
    and the period mean of each item per section).
    """
    classes = np.asarray(section_classes)
    n = int(np.count_nonzero(classes > 0))
    if n >= MIN_SECTIONS_FOR_PROPORTION:
        return proportion_status(classes)
    evaluated = classes > 0
    means = {
        item: np.array([_mean(np.asarray(v, dtype=np.float64)[evaluated])])
        for item, v in section_means.items()
    }
    water_class = int(classify(means, waterbody).water_class[0])
    if water_class == 0:
        raise ValueError("no evaluated section")
    good = 100.0 * np.count_nonzero(classes[evaluated] <= 3) / n
    inferior = 100.0 * np.count_nonzero(classes[evaluated] == INFERIOR_V) / n
    return BasinStatus(STATUS_WORDS[water_class], "mean", n, good, inferior)
