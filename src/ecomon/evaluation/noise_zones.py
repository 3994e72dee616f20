"""Functional-zone noise compliance (GB 3096-2008) from the stored hourly Leq of automatic noise stations.

A station's zone class ("0", "1", "2", "3", "4a", "4b") is `attrs.zone` in the registry. Hours are labelled by
their start; the day period (昼间) of day D holds the hours 06:00–21:00 of D, its night (夜间) the hours 22:00
of D to 05:00 of D+1 (GB 3096-2008 terms: day 06–22 h, night 22–06 h). Each period's level is the energy mean
of its hourly Leq (`standards.noise.leq`) compared with the zone limit (Table 1). The compliance rate
(功能区达标率) counts only periods holding at least `MIN_SHARE` of their hours — ecomon's completeness rule
(GB 3096 sets none for automatic stations), so a period with a few quiet hours never passes as compliant.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from ecomon.evaluation.env_results import Result
from ecomon.standards import noise

LEQ = "Leq"
PERIOD_HOURS = {noise.DAY: 16, noise.NIGHT: 8}
MIN_SHARE = 0.75
"""A period is complete with at least 75 % of its hours (12 of 16 by day, 6 of 8 at night)."""
COLUMNS = ("site_id", "code", "name_zh", "region_code", "zone", "day", "hour", "value", "review_state")


def hourly_query(first: dt.date, last: dt.date, tz: str, scope_sql: str,
                 scope_args: list[object]) -> tuple[str, list[object]]:
    """Valid hourly Leq of functional-zone stations (site alias s, scoped) for the days first..last."""
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(first, dt.time(6), zone)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(6), zone)
    sql = f"""
        SELECT s.id, s.code, s.name_zh, s.region_code, s.attrs->>'zone',
               ((o.t AT TIME ZONE %s) - interval '6 hours')::date, extract(hour FROM o.t AT TIME ZONE %s)::integer,
               o.value, o.review_state
        FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
        WHERE s.element = 'noise' AND s.site_type = 'functional_zone' AND se.interval_kind = 'hour'
          AND se.parameter_code = %s AND o.value IS NOT NULL AND o.qc_flag NOT IN (4, 9)
          AND o.t >= %s AND o.t < %s AND {scope_sql}"""
    return sql, [tz, tz, LEQ, lo, hi, *scope_args]


def period_levels(rows: list[tuple]) -> pl.DataFrame:
    """One row per station, day and period: Leq, hours, complete, limit, exceedance (dB), compliant, and the
    lowest review state of its hours."""
    hours = pl.DataFrame(rows, schema={"site_id": pl.Int64, "code": pl.Utf8, "name_zh": pl.Utf8,
                                       "region_code": pl.Utf8, "zone": pl.Utf8, "day": pl.Date, "hour": pl.Int32,
                                       "value": pl.Float64, "review_state": pl.Int16}, orient="row")
    hours = hours.with_columns(period=pl.Series(noise.period_of_hour(hours["hour"].to_numpy()), dtype=pl.Utf8))
    keys = ["site_id", "code", "name_zh", "region_code", "zone", "day", "period"]
    periods = hours.group_by(keys, maintain_order=True).agg(
        pl.col("value"), pl.len().alias("hours"), pl.col("review_state").min()).sort(keys)
    levels = np.array([float(noise.leq(np.asarray(v))) for v in periods["value"].to_list()])
    known = periods["zone"].is_in(list(noise.ZONE_LIMITS)).to_numpy()
    limit = np.full(periods.height, np.nan)
    if known.any():
        limit[known] = noise.zone_limit(periods["zone"].to_numpy()[known].astype(str),
                                        periods["period"].to_numpy()[known].astype(str))
    expected = periods["period"].replace_strict(PERIOD_HOURS).to_numpy()
    return periods.drop("value").with_columns(
        pl.Series("leq", np.round(levels, 1)),
        (pl.col("hours") >= pl.Series(np.ceil(MIN_SHARE * expected))).alias("complete"),
        pl.Series("limit", limit, nan_to_null=True),
        pl.Series("exceedance", np.round(noise.exceedance_db(levels, limit), 1), nan_to_null=True),
    ).with_columns(
        pl.when(pl.col("limit").is_not_null()).then(pl.col("exceedance") == 0).alias("compliant"))


def compliance(levels: pl.DataFrame) -> pl.DataFrame:
    """Per station: zone, complete day and night periods, how many comply, their compliance rates (%) and
    energy-mean levels."""
    judged = levels.filter(pl.col("complete") & pl.col("compliant").is_not_null())
    per = [judged.filter(pl.col("period") == period).group_by("site_id").agg(
        pl.len().alias(f"{period}_periods"),
        pl.col("compliant").sum().cast(pl.Int64).alias(f"{period}_compliant"),
        (100.0 * pl.col("compliant").sum() / pl.len()).round(1).alias(f"{period}_rate"),
        (10.0 * pl.lit(10.0).pow(0.1 * pl.col("leq")).mean().log10()).round(1).alias(f"{period}_leq"))
        for period in (noise.DAY, noise.NIGHT)]
    stations = levels.select("site_id", "code", "name_zh", "region_code", "zone").unique().sort("code")
    for part in per:
        stations = stations.join(part, on="site_id", how="left")
    return stations


RULE_SET = "GB3096-2008"
PERIOD_WORDS = {True: "达标", False: "超标"}
LEVEL_FIELDS = ("hours", "leq", "complete", "limit", "exceedance", "compliant")


def period_results(levels: pl.DataFrame) -> list[Result]:
    """Every station-day-period as stored (period day / night): Leq, hours of 16 or 8, limit, exceedance, and
    达标/超标 when the period is complete and the zone has a limit."""
    return [Result(
        site_id=r["site_id"], period=r["period"], period_start=r["day"], rule_set=RULE_SET, inputs_valid=r["hours"],
        inputs_expected=PERIOD_HOURS[r["period"]],
        verdict=PERIOD_WORDS[r["compliant"]] if r["complete"] and r["compliant"] is not None else None,
        compliant=r["compliant"], value=r["leq"], review_state=r["review_state"],
        detail={"zone": r["zone"], **{k: r[k] for k in LEVEL_FIELDS if k not in ("hours", "leq", "compliant")}},
    ) for r in levels.to_dicts()]


def month_results(levels: pl.DataFrame, month: dt.date) -> list[Result]:
    """Each station's monthly functional-zone compliance (月度达标情况) from its periods of `month`."""
    days = calendar.monthrange(month.year, month.month)[1]
    states = levels.group_by("site_id").agg(pl.col("review_state").min())
    results = []
    for r in compliance(levels).join(states, on="site_id").to_dicts():
        judged = [r[f"{p}_compliant"] == r[f"{p}_periods"] for p in (noise.DAY, noise.NIGHT) if r[f"{p}_periods"]]
        results.append(Result(
            site_id=r["site_id"], period="month", period_start=month, rule_set=RULE_SET,
            inputs_valid=sum(r[f"{p}_periods"] or 0 for p in (noise.DAY, noise.NIGHT)), inputs_expected=2 * days,
            verdict=PERIOD_WORDS[all(judged)] if judged else None, compliant=all(judged) if judged else None,
            review_state=r["review_state"],
            detail={k: v for k, v in r.items() if k not in ("site_id", "code", "name_zh", "region_code",
                                                           "review_state")}))
    return results


def levels_from_stored(rows: list[dict]) -> pl.DataFrame:
    """Stored day/night rows (`env_results.as_dicts`) back into the frame `period_levels` returns."""
    return pl.DataFrame([{
        "site_id": r["site_id"], "code": r["code"], "name_zh": r["name_zh"], "region_code": r["region_code"],
        "zone": r["detail"].get("zone"), "day": r["period_start"], "period": r["period"],
        "hours": r["inputs_valid"], "review_state": r["review_state"], "leq": r["value"],
        "complete": r["detail"]["complete"], "limit": r["detail"]["limit"], "exceedance": r["detail"]["exceedance"],
        "compliant": r["compliant"]} for r in rows],
        schema={"site_id": pl.Int64, "code": pl.Utf8, "name_zh": pl.Utf8, "region_code": pl.Utf8, "zone": pl.Utf8,
                "day": pl.Date, "period": pl.Utf8, "hours": pl.UInt32, "review_state": pl.Int16, "leq": pl.Float64,
                "complete": pl.Boolean, "limit": pl.Float64, "exceedance": pl.Float64, "compliant": pl.Boolean})
