"""Monthly class of surface-water sections (GB 3838-2002, 环办〔2011〕22号) from stored observations.

The section's monthly value of each item is the mean of its valid observations in the month (the 2011 method
evaluates the period mean); the class is the worst item class (single-factor method), compliance compares it
with the section's target class, and main pollutants are the items worse than class III ranked by class and
exceedance multiple. Sections name their river or lake (`attrs.water_body`) and basin (`attrs.basin`) in the
registry; `evaluation.water_bodies` rates those from the section rows. The SQL is returned as text so both the synchronous CLI and the async API can run it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ecomon.evaluation.env_results import Result
from ecomon.standards import water
from ecomon.standards.cli_env import TARGET_WORDS
from ecomon.standards.water_tables import HJ212_CODES, LAKE, RIVER

COLUMNS = ("site_id", "code", "name_zh", "region_code", "waterbody", "target_class", "water_body", "basin",
           "parameter_code", "value", "n", "review_state")
TROPHIC_CODES: dict[str, tuple[str, float]] = {"x04001": ("chla", 1.0), "x04002": ("SD", 1.0)}
"""Registry codes of the trophic-state inputs without an HJ 212 code (chlorophyll a µg/L = mg/m³; Secchi depth m)."""
ITEM_CODES = {**HJ212_CODES, **TROPHIC_CODES}


def month_query(month: dt.date, tz: str, scope_sql: str, scope_args: list[object]) -> tuple[str, list[object]]:
    """Per water section (alias s, scoped by `scope_sql`) and GB 3838 item: the month's mean and sample count."""
    sql = f"""
        SELECT s.id, s.code, s.name_zh, s.region_code,
               CASE WHEN s.attrs->>'waterbody' IN ('lake', 'reservoir') OR s.site_type ~* '(lake|reservoir|湖|库)'
                    THEN '{LAKE}' ELSE '{RIVER}' END,
               s.target_class, s.attrs->>'water_body', s.attrs->>'basin', se.parameter_code, avg(o.value),
               count(o.value)::integer, min(o.review_state)
        FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
        WHERE s.element = 'water' AND se.parameter_code = ANY(%s) AND o.value IS NOT NULL
          AND o.qc_flag NOT IN (4, 9) AND o.t >= %s AND o.t < %s AND {scope_sql}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    bounds = [dt.datetime.combine(d, dt.time(), _zone(tz)) for d in (month, following)]
    return sql, [list(ITEM_CODES), *bounds, *scope_args]


def _zone(tz: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def classify_sections(rows: list[tuple]) -> pl.DataFrame:
    """One row per section: item means, class, status, target, compliance, main pollutants with multiples."""
    long = pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS), orient="row").with_columns(
        pl.col("value").cast(pl.Float64))
    if not long.height:
        return pl.DataFrame(schema={"code": pl.Utf8, "name_zh": pl.Utf8, "class": pl.Utf8})
    long = long.with_columns(
        item=pl.col("parameter_code").replace_strict({c: i for c, (i, _) in ITEM_CODES.items()}),
        value=pl.col("value") * pl.col("parameter_code").replace_strict({c: f for c, (_, f) in ITEM_CODES.items()}),
    )
    keys = ["site_id", "code", "name_zh", "region_code", "waterbody", "target_class", "water_body", "basin"]
    wide = long.pivot(on="item", index=keys, values="value", aggregate_function="mean").sort("code")
    samples = long.group_by("site_id").agg(pl.col("n").max().alias("samples"), pl.col("review_state").min())
    wide = wide.join(samples, on="site_id", how="left")
    items = [i for i in wide.columns if i not in (*keys, "samples", "review_state")]
    values = {i: wide[i].cast(pl.Float64).fill_null(np.nan).to_numpy() for i in items}
    body = wide["waterbody"].to_numpy()
    result = water.classify(values, body)
    classes = result.water_class
    target = np.array([int(TARGET_WORDS.get(str(t or "").strip(), "0")) for t in wide["target_class"]])
    multiples = water.exceedance_multiples(values, target, body, result.items)
    main = water.main_pollutants(values, body, result.items)
    worst = [
        "、".join(f"{item}({multiples[item][row]:.2f})" if item in multiples and not np.isnan(multiples[item][row])
                 else item for item in listed)
        for row, listed in enumerate(main)
    ]
    return wide.with_columns(
        pl.Series("class_code", classes).cast(pl.Int8),
        pl.Series("class", water.class_labels(classes).tolist(), dtype=pl.Utf8),
        pl.Series("status", water.status_words(classes).tolist(), dtype=pl.Utf8),
        pl.Series("target", water.class_labels(target).tolist(), dtype=pl.Utf8),
        pl.Series("compliant", [bool(ok) if judged else None for ok, judged in
                                zip(water.meets_target(classes, target), (target > 0) & (classes > 0), strict=True)],
                  dtype=pl.Boolean),
        pl.Series("main_pollutants", worst, dtype=pl.Utf8),
    )


RULE_SET = "GB3838-2002"
SECTION_FIELDS = ("site_id", "code", "name_zh", "region_code", "review_state")


def month_results(sections: pl.DataFrame, month: dt.date) -> list[Result]:
    """Each section's month as stored: class (verdict, code 1..6 for I..劣V), compliance with its target, items
    evaluated, and the whole row of `classify_sections` (item means, status, main pollutants) as detail."""
    results = []
    for r in sections.to_dicts():
        items = [name for name, _ in ITEM_CODES.values() if r.get(name) is not None]
        results.append(Result(
            site_id=r["site_id"], period="month", period_start=month, rule_set=RULE_SET, inputs_valid=len(items),
            verdict=r["class"] or None, verdict_code=r["class_code"] or None, compliant=r["compliant"],
            review_state=r["review_state"] or 0,
            detail={k: v for k, v in r.items() if k not in SECTION_FIELDS}))
    return results


def sections_from_stored(rows: list[dict]) -> pl.DataFrame:
    """Stored monthly rows (`env_results.as_dicts`) back into the frame `classify_sections` returns."""
    if not rows:
        return pl.DataFrame(schema={"code": pl.Utf8, "name_zh": pl.Utf8, "class": pl.Utf8})
    return pl.DataFrame([{**{k: r[k] for k in SECTION_FIELDS}, **r["detail"]} for r in rows],
                        infer_schema_length=None)
