"""Period assessment of ambient air (HJ 663 with GB 3095 limits): statistics, compliance, good-day ratio,
heavy-pollution days, composite index, rankings and the change against the same period a year earlier.

Input is the wide daily frame of `air_validity.daily_values` (station, date, SO2, NO2, CO, PM10, PM2.5, O3,
O3_8h; invalid days null). Everything is a Polars expression over that frame: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import polars as pl

from ecomon.standards import aqi
from ecomon.standards.air_limits import (
    ASSESSED,
    HAS_ANNUAL_LIMIT,
    PERCENTILES,
    composite_denominators,
    daily_limit,
    limit,
)
from ecomon.standards.air_validity import enough_days, period_key
from ecomon.standards.rulesets import AQI_RULESETS, AqiRuleSet, LimitRuleSet, aqi_rulesets_on

Period = Literal["month", "year"]
DAILY_COLUMNS = ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3", "O3_8h")
GOOD_AT_MOST = 100.0
"""优良天: AQI ≤ 100 (levels 1 and 2 of HJ 633)."""
HEAVY_ABOVE = 200.0
"""重度及以上污染天: AQI > 200 (levels 5 and 6)."""
SEVERE_ABOVE = 300.0


def percentile_hj663(values: np.ndarray, p: float) -> float:
    """HJ 663 Annex A percentile: k = 1 + (n − 1)·p/100 on ascending values, linear between neighbours.

    Missing values (NaN) are left out; equal to numpy's "linear" method, spelled out to cite the standard.
    """
    ordered = np.sort(values[~np.isnan(values)])
    if ordered.size == 0:
        return float("nan")
    k = 1 + (ordered.size - 1) * p / 100
    s = int(np.floor(k))
    if s >= ordered.size:
        return float(ordered[-1])
    return float(ordered[s - 1] + (ordered[s] - ordered[s - 1]) * (k - s))


def _percentile(column: str, p: float) -> pl.Expr:
    # Polars' linear quantile is the HJ 663 Annex A method (see percentile_hj663; tested to agree).
    return pl.col(column).quantile(p / 100, interpolation="linear")


def daily_aqi(daily: pl.DataFrame, standard: AqiRuleSet | None = None) -> pl.DataFrame:
    """Add the daily AQI (`AQI`, `aqi_standard`) and `aqi_counted` to a wide daily frame.

    Without `standard`, each day uses the HJ 633 version in force on its date. `aqi_counted` says whether the
    day enters the good-day and heavy-pollution ratios: all six items valid, or AQI above 100 (the
    HJ 633-2026 completeness rule, applied to 2012-era days too because HJ 633-2012 and HJ 663-2013 leave it
    open).
    """
    dates = daily["date"].to_numpy()
    chosen = np.full(daily.height, standard) if standard else aqi_rulesets_on(dates)
    values = {c: daily[c].cast(pl.Float64).to_numpy() for c in DAILY_COLUMNS if c in daily.columns}
    result = np.full(daily.height, np.nan)
    for rule in AQI_RULESETS:
        rows = chosen == rule
        if rows.any():
            part = aqi.compute({c: v[rows] for c, v in values.items()}, standard=rule, period="day")
            result[rows] = part.aqi
    complete = pl.all_horizontal(pl.col(c).is_not_null() if c in daily.columns else pl.lit(False) for c in ASSESSED)
    return daily.with_columns(
        pl.Series("AQI", result, nan_to_null=True),
        pl.Series("aqi_standard", chosen.astype(str)),
    ).with_columns(aqi_counted=complete | (pl.col("AQI") > GOOD_AT_MOST))


def regional_daily(daily: pl.DataFrame, by: str | None, standard: AqiRuleSet | None = None) -> pl.DataFrame:
    """Daily values of a region: per day, the arithmetic mean of its stations' valid values.

    `by` names a column grouping stations (e.g. district); None means all stations form one region. The
    region's AQI is then computed from those means. (The aggregation order of HJ 663-2026 is not confirmed;
    mean of station daily values is the common practice.)
    """
    key = pl.col(by) if by else pl.lit("all")
    means = daily.group_by(key.alias("region"), "date").agg(pl.col(c).mean() for c in DAILY_COLUMNS)
    return daily_aqi(means.rename({"region": "station"}).sort("station", "date"), standard)


def period_statistics(
    daily: pl.DataFrame,
    *,
    period: Period,
    limits: LimitRuleSet,
    grade: int = 2,
    weights: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """Per station (or region) and period: concentrations, validity, compliance, AQI day counts, composite.

    `daily` needs `AQI` and `aqi_counted` (see `daily_aqi`). Concentration columns: the period mean of SO2,
    NO2, PM10, PM2.5 and the HJ 663 percentile of every assessed item (`<item>_p<p>`); `<item>_days` valid
    days; `<item>_valid` the GB 3095 Table 4 day count met; for years, `<item>_compliant` (every statistic
    within its grade-`grade` limit) and `compliant` (all six). Composite index per the ranking rules with
    optional `weights` (default 1 each).
    """
    aggregates: list[pl.Expr] = []
    for item in ASSESSED:
        valid_dates = pl.col("date").filter(pl.col(item).is_not_null())
        if item in HAS_ANNUAL_LIMIT:
            aggregates.append(pl.col(item).mean().alias(item))
        aggregates += [
            _percentile(item, PERCENTILES[item]).alias(f"{item}_p{PERCENTILES[item]:g}"),
            pl.col(item).count().alias(f"{item}_days"),
            enough_days(valid_dates, period).alias(f"{item}_valid"),
            (pl.col(item) > daily_limit(limits, item, grade)).sum().alias(f"{item}_exceed_days"),
        ]
    counted = pl.col("aqi_counted")
    aggregates += [
        counted.sum().alias("aqi_days"),
        (counted & (pl.col("AQI") <= GOOD_AT_MOST)).sum().alias("good_days"),
        (counted & (pl.col("AQI") > HEAVY_ABOVE)).sum().alias("heavy_days"),
        (counted & (pl.col("AQI") > SEVERE_ABOVE)).sum().alias("severe_days"),
    ]
    stats = daily.group_by("station", period_key(period)).agg(aggregates).sort("station", "period")
    stats = stats.with_columns(
        good_rate=(100 * pl.col("good_days") / pl.col("aqi_days")).round(1),
        heavy_rate=(100 * pl.col("heavy_days") / pl.col("aqi_days")).round(1),
    )
    if period == "year":
        stats = _with_compliance(stats, limits, grade)
    return _with_composite(stats, limits, weights or {})


def _with_compliance(stats: pl.DataFrame, limits: LimitRuleSet, grade: int) -> pl.DataFrame:
    verdicts = []
    for item in ASSESSED:
        ok = pl.col(f"{item}_p{PERCENTILES[item]:g}") <= daily_limit(limits, item, grade)
        if item in HAS_ANNUAL_LIMIT:
            ok = ok & (pl.col(item) <= limit(limits, item, "year", grade))
        verdicts.append(pl.when(pl.col(f"{item}_valid")).then(ok).alias(f"{item}_compliant"))
    stats = stats.with_columns(verdicts)
    return stats.with_columns(compliant=pl.all_horizontal(pl.col(f"{i}_compliant") for i in ASSESSED))


def _composite_input(item: str) -> str:
    return item if item in HAS_ANNUAL_LIMIT else f"{item}_p{PERCENTILES[item]:g}"


def _with_composite(stats: pl.DataFrame, limits: LimitRuleSet, weights: Mapping[str, float]) -> pl.DataFrame:
    unknown = set(weights) - set(ASSESSED)
    if unknown:
        raise ValueError(f"weights for unknown items {sorted(unknown)}; items are {', '.join(ASSESSED)}")
    denominators = composite_denominators(limits)
    sub = {item: pl.col(_composite_input(item)) / denominators[item] for item in ASSESSED}
    stats = stats.with_columns(e.alias(f"I_{item}") for item, e in sub.items())
    composite = pl.sum_horizontal(weights.get(i, 1.0) * pl.col(f"I_{i}") for i in ASSESSED)
    complete = pl.all_horizontal(pl.col(f"I_{i}").is_not_null() for i in ASSESSED)
    largest = pl.concat_list(pl.col(f"I_{i}") for i in ASSESSED).list.arg_max()
    primary = largest.replace_strict(dict(enumerate(ASSESSED)), return_dtype=pl.Utf8)
    return stats.with_columns(
        composite=pl.when(complete).then(composite.round(2)),
        composite_primary=pl.when(complete).then(primary),
    )


def rank(stats: pl.DataFrame, column: str = "composite", *, descending: bool = False) -> pl.DataFrame:
    """Rank entities within each period (1 = best: lowest composite index); ties share the better rank."""
    return stats.with_columns(
        pl.col(column).rank(method="min", descending=descending).over("period").cast(pl.Int32).alias("rank")
    )


def change_vs_last_year(stats: pl.DataFrame, columns: tuple[str, ...] = ("composite", "PM2.5")) -> pl.DataFrame:
    """Add `<column>_change_pct` against the same period a year earlier, and `good_rate_change` in points.

    Positive change of the composite index or a concentration means worse air.
    """
    shifted = pl.col("period").str.slice(0, 4).cast(pl.Int32) + 1
    previous = stats.select(
        "station",
        pl.concat_str(shifted.cast(pl.Utf8), pl.col("period").str.slice(4)).alias("period"),
        *(pl.col(c).alias(f"{c}_previous") for c in (*columns, "good_rate")),
    )
    joined = stats.join(previous, on=["station", "period"], how="left")
    changes = [
        ((pl.col(c) - pl.col(f"{c}_previous")) / pl.col(f"{c}_previous") * 100).round(1).alias(f"{c}_change_pct")
        for c in columns
    ]
    changes.append((pl.col("good_rate") - pl.col("good_rate_previous")).round(1).alias("good_rate_change"))
    return joined.with_columns(changes).drop(f"{c}_previous" for c in (*columns, "good_rate"))
