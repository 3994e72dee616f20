"""Compliance of a centralised surface drinking-water source (集中式生活饮用水地表水源地).

GB 3838-2002 §4 and §6: a source meets its water function when every Table 1 item meets the class of its
protection zone (first-level zone class II, second-level zone class III) and every Table 2 supplementary
item meets its single limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ecomon.standards.water import classify
from ecomon.standards.water_tables import CLASS_ITEMS_2011, RIVER, TABLE_2

#: GB 3838-2002 §3 (water-function classes): class II for the first-level protection zone of a
#: centralised drinking-water source, class III for the second-level zone.
ZONE_CLASS: dict[int, int] = {1: 2, 2: 3}


@dataclass(frozen=True)
class SourceCompliance:
    """Per-sample compliance and, per item, where it fails."""

    compliant: np.ndarray  # bool (n,); False also when nothing was measured
    failing: dict[str, np.ndarray]  # item → bool (n,)


def source_compliance(
    samples: Mapping[str, ArrayLike],
    protection_zone: int = 2,
    waterbody: str | ArrayLike = RIVER,
    items: Sequence[str] = CLASS_ITEMS_2011,
) -> SourceCompliance:
    """Check Table 1 items against the zone's class and Table 2 items (sulfate, chloride, nitrate, Fe, Mn)."""
    required = ZONE_CLASS[protection_zone]
    table_1 = classify(samples, waterbody, items)
    failing = {item: table_1.item_classes[i] > required for i, item in enumerate(table_1.items)}
    measured = (table_1.item_classes > 0).any(axis=0) if table_1.items else None
    for item, (_, limit) in TABLE_2.items():
        if item in samples:
            values = np.asarray(samples[item], dtype=np.float64)
            failing[item] = values > limit
            present = ~np.isnan(values)
            measured = present if measured is None else measured | present
    if measured is None:
        raise ValueError("no GB 3838 Table 1 or Table 2 item in the samples")
    any_failing = np.logical_or.reduce(list(failing.values()))
    return SourceCompliance(measured & ~any_failing, failing)
