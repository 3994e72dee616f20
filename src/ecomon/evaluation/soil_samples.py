"""Soil pollution risk of stored soil samples: GB 15618-2018 (agricultural land) or GB 36600-2018 (construction
land), by the land use the registry gives the sampling point.

A soil point (`element` soil) carries in `attrs`: `land_use` = "agricultural" (农用地) with `farmland` = paddy |
orchard | other (水田 / 果园 / 其他, default other), or "construction" (建设用地) with `land_class` = 1 | 2
(GB 36600-2018 第一类 / 第二类用地). A sample is the set of values of one point on one local day (several values
of an item that day are averaged, e.g. laboratory duplicates). Parameters use the ecomon-local soil codes x05…
(HJ 212 defines none for soil; `registry/data/parameters.csv`), mg/kg dry soil, pH dimensionless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from ecomon.evaluation.env_results import Result
from ecomon.standards import soil

PH = "x05001"
ITEM_CODES: dict[str, str] = {
    "x05002": "Cd", "x05003": "Hg", "x05004": "As", "x05005": "Pb", "x05006": "Cr", "x05007": "Cu", "x05008": "Ni",
    "x05009": "Zn", "x05010": "Cr6", "x05101": "CCl4", "x05102": "chloroform", "x05103": "vinyl_chloride",
    "x05104": "TCE", "x05105": "benzene", "x05106": "toluene", "x05107": "ethylbenzene", "x05108": "naphthalene",
    "x05109": "BaP", "x05110": "BaA", "x05111": "DBahA",
}
"""Registry soil codes → item names of `standards.soil` (and of `ecomon eval soil` columns)."""
AGRICULTURAL, CONSTRUCTION = "agricultural", "construction"
RULE_15618, RULE_36600 = "GB15618-2018", "GB36600-2018"
ITEMS_15618 = tuple(sorted({metal for metal, _ in soil.SCREENING_15618}))
COLUMNS = ("site_id", "land_use", "farmland", "land_class", "day", "parameter_code", "value", "review_state")


def sample_query(first: dt.date, last: dt.date, tz: str, site_ids: list[int] | None) -> tuple[str, list[object]]:
    """Daily means per soil point and item (valid values only) for the local days first..last."""
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(first, dt.time(), zone)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    sql = """
        SELECT s.id, s.attrs->>'land_use', s.attrs->>'farmland', s.attrs->>'land_class',
               (o.t AT TIME ZONE %s)::date, se.parameter_code, avg(o.value), min(o.review_state)
        FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
        WHERE s.element = 'soil' AND se.parameter_code = ANY(%s) AND o.value IS NOT NULL
          AND o.qc_flag NOT IN (4, 9) AND o.t >= %s AND o.t < %s
          AND (%s::bigint[] IS NULL OR s.id = ANY(%s))
        GROUP BY 1, 2, 3, 4, 5, 6"""
    return sql, [tz, [PH, *ITEM_CODES], lo, hi, site_ids, site_ids]


@dataclass
class SoilOutcome:
    results: list[Result] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    """site_id → why its samples were not evaluated (land use missing or unknown in the registry)."""


def evaluate(rows: list[tuple]) -> SoilOutcome:
    """One Result per sample under the standard of its point's land use."""
    outcome = SoilOutcome()
    long = pl.DataFrame(rows, schema={"site_id": pl.Int64, "land_use": pl.Utf8, "farmland": pl.Utf8,
                                      "land_class": pl.Utf8, "day": pl.Date, "parameter_code": pl.Utf8,
                                      "value": pl.Float64, "review_state": pl.Int16}, orient="row")
    if not long.height:
        return outcome
    keys = ["site_id", "land_use", "farmland", "land_class", "day"]
    long = long.with_columns(item=pl.col("parameter_code").replace_strict({PH: "pH", **ITEM_CODES}))
    wide = long.pivot(on="item", index=keys, values="value", aggregate_function="mean").join(
        long.group_by(keys).agg(pl.col("review_state").min()), on=keys, how="left").sort("site_id", "day")
    for (land_use,), part in wide.group_by(["land_use"], maintain_order=True):
        if land_use == AGRICULTURAL:
            outcome.results += _agricultural(part, outcome.skipped)
        elif land_use == CONSTRUCTION:
            outcome.results += _construction(part, outcome.skipped)
        else:
            reason = ("no attrs.land_use" if land_use is None else f"unknown attrs.land_use {land_use!r}") + \
                f" (expected {AGRICULTURAL} or {CONSTRUCTION})"
            outcome.skipped.update(dict.fromkeys(part["site_id"].to_list(), reason))
    return outcome


def _values(part: pl.DataFrame, items: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {i: part[i].cast(pl.Float64).fill_null(np.nan).to_numpy() for i in items if i in part.columns}


def _agricultural(part: pl.DataFrame, skipped: dict[int, str]) -> list[Result]:
    farmland = part["farmland"].fill_null(soil.OTHER)
    bad = ~farmland.is_in([soil.PADDY, soil.ORCHARD, soil.OTHER])
    for site_id, value in zip(part.filter(bad)["site_id"], farmland.filter(bad), strict=True):
        skipped[site_id] = f"unknown attrs.farmland {value!r} (expected paddy, orchard or other)"
    part, farmland = part.filter(~bad), farmland.filter(~bad)
    values = _values(part, ITEMS_15618)
    if not part.height or not values:
        return []
    ph = part["pH"].cast(pl.Float64).fill_null(np.nan).to_numpy() if "pH" in part.columns else np.full(
        part.height, np.nan)
    assessed = soil.assess_agricultural(values, ph, farmland.to_numpy().astype(str))
    return [_result(part, row, RULE_15618, soil.CATEGORIES_15618, assessed, values, len(ITEMS_15618),
                    {"land_use": AGRICULTURAL, "farmland": farmland[row], "pH": _number(ph[row])},
                    missing="pH" if np.isnan(ph[row]) else None)
            for row in range(part.height)]


def _construction(part: pl.DataFrame, skipped: dict[int, str]) -> list[Result]:
    klass = part["land_class"].fill_null("")
    bad = ~klass.is_in(["1", "2"])
    for site_id, value in zip(part.filter(bad)["site_id"], klass.filter(bad), strict=True):
        skipped[site_id] = f"attrs.land_class {value!r} is not 1 or 2 (GB 36600-2018 first- or second-class land)"
    part, klass = part.filter(~bad), klass.filter(~bad)
    values = _values(part, tuple(soil.TABLE_36600))
    if not part.height or not values:
        return []
    assessed = soil.assess_construction(values, klass.cast(pl.Int64).to_numpy())
    return [_result(part, row, RULE_36600, soil.LEVELS_36600, assessed, values, len(soil.TABLE_36600),
                    {"land_use": CONSTRUCTION, "land_class": int(klass[row])})
            for row in range(part.height)]


def _result(part: pl.DataFrame, row: int, rule_set: str, words: tuple[str, ...], assessed: soil.SoilAssessment,
            values: dict[str, np.ndarray], expected: int, context: dict, missing: str | None = None) -> Result:
    measured = {item: float(v[row]) for item, v in values.items() if not np.isnan(v[row])}
    code = int(assessed.category[row])
    detail = {**context, "values": measured,
              "over_screening": _multiples(assessed.over_screening, row),
              "over_intervention": _multiples(assessed.over_intervention, row)}
    if code < 0:
        detail["missing"] = missing or "items"   # pH, or every item of the standard's table
    return Result(
        site_id=int(part["site_id"][row]), period="sample", period_start=part["day"][row], rule_set=rule_set,
        inputs_valid=len(measured), inputs_expected=expected,
        verdict=words[code] if code >= 0 else None, verdict_code=code if code >= 0 else None,
        compliant=(code == 0) if code >= 0 else None, value=_number(context.get("pH")), detail=detail,
        review_state=int(part["review_state"][row] or 0))


def _multiples(multiples: dict[str, np.ndarray], row: int) -> dict[str, float]:
    """Items above the value: (C - value) / value, rounded as the reports print them."""
    return {item: round(float(m[row]), 2) for item, m in multiples.items() if not np.isnan(m[row])}


def _number(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)  # type: ignore[arg-type]
