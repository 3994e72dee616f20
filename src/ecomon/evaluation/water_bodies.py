"""Status of rivers and basins (环办〔2011〕22号) and trophic state of lakes and reservoirs (总站生字〔2001〕090号)
from the monthly section rows of `water_sections.classify_sections`.

- Rivers and basins: the river sections sharing `water_body` (a river) or `basin` (a basin or water system);
  from five evaluated sections the section-class proportion method, below five the class of the sections'
  mean values (`standards.water_river.basin_status`). Lake and reservoir points are rated with their lake.
- Lakes and reservoirs: the points sharing `water_body`; the class of the points' mean values under the lake
  limits (the 2011 method rates a lake from the arithmetic mean of its points) and TLI(Σ) with its trophic
  grade from the means of chla, TP, TN, SD and CODMn (`standards.trophic`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ecomon.standards import trophic, water
from ecomon.standards.water_river import basin_status
from ecomon.standards.water_tables import CLASS_ITEMS_2011, LAKE, RIVER

LEVELS = ("water_body", "basin")
"""Registry attributes that group river sections: a river, then a basin."""


def river_status(sections: pl.DataFrame) -> pl.DataFrame:
    """level (water_body | basin), name, sections, method, status, share_good, share_inferior per river/basin."""
    rows = []
    rivers = sections.filter(pl.col("waterbody") == RIVER) if sections.height else sections
    items = [i for i in CLASS_ITEMS_2011 if i in rivers.columns]
    for level in LEVELS:
        if level not in rivers.columns:
            continue
        for (name,), group in rivers.filter(pl.col(level).is_not_null()).group_by(level, maintain_order=True):
            classes = group["class_code"].to_numpy()
            if not np.count_nonzero(classes > 0):
                continue
            means = {i: group[i].cast(pl.Float64).fill_null(np.nan).to_numpy() for i in items}
            status = basin_status(classes, means, RIVER)
            rows.append({"level": level, "name": name, "sections": status.sections, "method": status.method,
                         "status": status.status, "share_good": status.share_good,
                         "share_inferior": status.share_inferior})
    return pl.DataFrame(rows, schema={"level": pl.Utf8, "name": pl.Utf8, "sections": pl.Int64, "method": pl.Utf8,
                                      "status": pl.Utf8, "share_good": pl.Float64, "share_inferior": pl.Float64})


def lake_state(sections: pl.DataFrame) -> pl.DataFrame:
    """name, points, class, status, tli, trophic per lake or reservoir (points with `water_body`)."""
    rows = []
    lakes = sections.filter(pl.col("waterbody") == LAKE) if sections.height else sections
    if lakes.height and "water_body" in lakes.columns:
        for (name,), group in lakes.filter(pl.col("water_body").is_not_null()).group_by("water_body",
                                                                                        maintain_order=True):
            means = {i: np.array([_mean(group[i])]) for i in group.columns
                     if i in CLASS_ITEMS_2011 or i in trophic.TLI_COEFFICIENTS}
            water_class = water.classify(means, LAKE).water_class
            inputs = {p: means[p] for p in trophic.TLI_COEFFICIENTS if p in means}
            index = trophic.tli(inputs) if inputs else np.array([np.nan])
            rows.append({"name": name, "points": group.height,
                         "class": water.class_labels(water_class)[0] or None,
                         "status": water.status_words(water_class)[0] or None,
                         "tli": None if np.isnan(index[0]) else round(float(index[0]), 1),
                         "trophic": trophic.trophic_grade(index)[0] or None})
    return pl.DataFrame(rows, schema={"name": pl.Utf8, "points": pl.Int64, "class": pl.Utf8, "status": pl.Utf8,
                                      "tli": pl.Float64, "trophic": pl.Utf8})


def _mean(column: pl.Series) -> float:
    """Mean over the points that measured the item (NaN when none did)."""
    value = column.cast(pl.Float64).mean()
    return float("nan") if value is None else float(value)
