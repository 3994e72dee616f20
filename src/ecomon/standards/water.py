"""Surface-water class by GB 3838-2002 and the 2011 evaluation method (环办〔2011〕22号).

Single-factor evaluation (GB 3838-2002 §6): each item gets the best class whose limit it meets, the sample
(or section-period mean) takes the worst item class, anything worse than class V is 劣V. Everything is
vectorised: a sample set is a mapping item → array, one element per sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from ecomon.standards.water_tables import (
    CLASS_ITEMS_2011,
    CLASS_LABELS,
    LAKE,
    PH_RANGE,
    RIVER,
    STATUS_WORDS,
    TABLE_1,
)

#: 环办〔2011〕22号, main pollutants: besides the three worst items, cyanide and toxic heavy metals that exceed
#: class III are always listed.
ALWAYS_LISTED = ("CN", "Hg", "Cd", "Cr6", "Pb", "As")
MAIN_POLLUTANT_COUNT = 3
CLASS_III = 3


def _lake_mask(waterbody: str | ArrayLike, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(waterbody) == LAKE, (n,))


def item_limits(item: str, waterbody: str | ArrayLike, n: int) -> np.ndarray:
    """Class I..V limits of `item` per sample, shape (n, 5): lakes and rivers differ for TP."""
    spec = TABLE_1[item]
    river = np.broadcast_to(np.asarray(spec.limits, dtype=np.float64), (n, 5))
    if spec.lake_limits is None:
        return river
    lake = np.asarray(spec.lake_limits, dtype=np.float64)
    return np.where(_lake_mask(waterbody, n)[:, None], lake, river)


def item_class(item: str, values: ArrayLike, waterbody: str | ArrayLike = RIVER) -> np.ndarray:
    """Class code per sample (1..5, 6 = 劣V, 0 = missing) for one GB 3838 Table 1 item.

    A value exactly on a limit meets it; where classes share a limit (COD, BOD5 I = II …) the better class
    is taken, because the count of limits strictly beaten is what decides.
    """
    v = np.asarray(values, dtype=np.float64)
    if item == "pH":
        low, high = PH_RANGE
        classes = np.where((v >= low) & (v <= high), 1, 6)
    else:
        limits = item_limits(item, waterbody, v.size)
        if TABLE_1[item].lower_is_worse:
            worse = limits > v[:, None]
        else:
            worse = limits < v[:, None]
        classes = 1 + worse.sum(axis=1)
    return np.where(np.isnan(v), 0, classes).astype(np.int8)


@dataclass(frozen=True)
class Classification:
    """Item classes of a set of samples; the sample class and its determining items follow from them."""

    items: tuple[str, ...]
    item_classes: np.ndarray  # (len(items), n) int8, 0 where the item is missing

    @property
    def water_class(self) -> np.ndarray:
        """Worst item class per sample (0 when no item was measured)."""
        return self.item_classes.max(axis=0, initial=0).astype(np.int8)

    @property
    def determining(self) -> np.ndarray:
        """Mask (items, n): the items whose class equals the sample class."""
        worst = self.water_class
        return (self.item_classes == worst) & (worst > 0)


def classify(
    samples: Mapping[str, ArrayLike],
    waterbody: str | ArrayLike = RIVER,
    items: Sequence[str] = CLASS_ITEMS_2011,
) -> Classification:
    """Single-factor class over the `items` present in `samples` (default: the 2011 method's 21 items)."""
    n = len(np.asarray(next(iter(samples.values())))) if samples else 0
    present = tuple(item for item in items if item in samples)
    if not present:
        return Classification((), np.zeros((0, n), dtype=np.int8))
    return Classification(present, np.stack([item_class(item, samples[item], waterbody) for item in present]))


def class_labels(classes: ArrayLike) -> np.ndarray:
    """I, II, III, IV, V, 劣V (empty string for 0)."""
    return np.asarray(CLASS_LABELS, dtype=object)[np.asarray(classes, dtype=np.int64)]


def status_words(classes: ArrayLike) -> np.ndarray:
    """优 / 良好 / 轻度污染 / 中度污染 / 重度污染 per class (环办〔2011〕22号)."""
    return np.asarray(STATUS_WORDS, dtype=object)[np.asarray(classes, dtype=np.int64)]


def meets_target(water_class: ArrayLike, target_class: ArrayLike) -> np.ndarray:
    """GB 3838-2002 §6: compliant when the class is no worse than the class the water function requires.

    Only meaningful where both codes are non-zero.
    """
    return np.asarray(water_class) <= np.asarray(target_class)


def exceedance_multiples(
    samples: Mapping[str, ArrayLike],
    reference_class: int | ArrayLike,
    waterbody: str | ArrayLike = RIVER,
    items: Sequence[str] = CLASS_ITEMS_2011,
) -> dict[str, np.ndarray]:
    """超标倍数 = (C − limit)/limit against the limit of `reference_class` (1..5), per item and sample.

    NaN where the item does not exceed, is missing, or where no reference class is given (0). Not computed
    for pH and DO (环办〔2011〕22号), whose limits are a range or a minimum.
    """
    result: dict[str, np.ndarray] = {}
    for item in items:
        if item not in samples or item == "pH" or TABLE_1[item].lower_is_worse:
            continue
        values = np.asarray(samples[item], dtype=np.float64)
        reference = np.broadcast_to(np.asarray(reference_class, dtype=np.int64), values.shape)
        limits = item_limits(item, waterbody, values.size)
        limit = np.take_along_axis(limits, np.clip(reference - 1, 0, 4)[:, None], axis=1)[:, 0]
        multiple = (values - limit) / limit
        result[item] = np.where((reference > 0) & (values > limit), multiple, np.nan)
    return result


def main_pollutants(
    samples: Mapping[str, ArrayLike],
    waterbody: str | ArrayLike = RIVER,
    items: Sequence[str] = CLASS_ITEMS_2011,
) -> list[tuple[str, ...]]:
    """主要污染指标 of each sample worse than class III (环办〔2011〕22号).

    Items worse than III are ranked by class, then by exceedance multiple over the class III limit; the
    first three are listed, followed by any cyanide or toxic heavy metal that also exceeds class III.
    """
    result = classify(samples, waterbody, items)
    if not result.items:
        return [() for _ in range(result.item_classes.shape[1])]
    multiples = exceedance_multiples(samples, CLASS_III, waterbody, result.items)
    n = result.item_classes.shape[1]
    multiple = np.stack(
        [np.nan_to_num(multiples.get(item, np.full(n, np.nan)), nan=0.0) for item in result.items]
    )
    above = result.item_classes > CLASS_III
    order = np.lexsort((-multiple, -result.item_classes.astype(np.int64)), axis=0)
    names = np.asarray(result.items, dtype=object)
    listed = []
    for row in range(n):
        ranked = [names[i] for i in order[:, row] if above[i, row]]
        head = ranked[:MAIN_POLLUTANT_COUNT]
        listed.append((*head, *(item for item in ranked[MAIN_POLLUTANT_COUNT:] if item in ALWAYS_LISTED)))
    return listed


def period_means(samples: pl.DataFrame, by: Sequence[str], items: Sequence[str]) -> pl.DataFrame:
    """Arithmetic mean of each item per section and period (环办〔2011〕22号: evaluate the period mean).

    Missing values are skipped; classify the result with `classify` to get the section's period class.
    """
    present = [item for item in items if item in samples.columns]
    return samples.group_by(list(by), maintain_order=True).agg(pl.col(present).cast(pl.Float64).mean())
