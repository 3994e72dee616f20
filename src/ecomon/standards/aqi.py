"""Air Quality Index per HJ 633-2012 and HJ 633-2026, vectorised over numpy arrays.

The tables live in `aqi_tables`; this module applies them: input rounding (2026 only), IAQI by linear
interpolation between breakpoints rounded up to an integer, the notes for values above a truncated
breakpoint column, AQI = max IAQI, levels, primary and exceeding pollutants and the 2026 publication rule.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ecomon.standards.aqi_tables import (
    ABOVE_TABLE,
    AQI_FLOOR,
    BREAKPOINTS,
    EXCEEDING_ABOVE,
    FEEDS,
    GROUP_WORDING_2026,
    INPUT_DECIMALS,
    IAQI_POINTS,
    LEVELS,
    PRIMARY_ABOVE,
    PUBLISH_INCOMPLETE_ABOVE,
    SENSITIVE_GROUPS_2026,
    SEVERITY_CEILINGS,
    Feed,
    Level,
)
from ecomon.standards.rulesets import AqiRuleSet

PERIODS = ("hour", "day")

# Linear interpolation in floating point can land a hair above an integer that is the exact result
# (e.g. 59.99999999999999 or 60.00000000000001 for CO 2.4 mg/m³); IAQI values are at most 500, so a
# tolerance far below any meaningful concentration step keeps ceil() from adding a spurious 1.
_CEIL_TOLERANCE = 1e-7


def feeds(standard: AqiRuleSet, period: str) -> tuple[Feed, ...]:
    """The input columns that feed the AQI for this rule set and period (HJ 633 日报 / 实时报)."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; expected hour or day")
    return FEEDS[(standard, period)]


def input_columns(standard: AqiRuleSet, period: str) -> tuple[str, ...]:
    """Every column the computation reads, substitutes included (e.g. SO2_24h for 2012 real-time)."""
    columns = [feed.column for feed in feeds(standard, period)]
    for feed in feeds(standard, period):
        rule = ABOVE_TABLE[standard].get(feed.breakpoints)
        if rule is not None and rule[0] == "substitute":
            columns.append(str(rule[1]))
    return tuple(columns)


def round_gbt8170(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round to `decimals` places by GB/T 8170 (四舍六入五成双: an exact half goes to the even digit).

    Values are decimal numbers read from text, so the half is judged on the decimal value: 0.35 is an exact
    half although its binary double is slightly below it. Snapping the scaled value to 9 decimals first
    removes that representation error; real measurements never carry 9 significant decimals. For integers
    no snapping is needed (every decimal half n.5 is exact in binary), which keeps the common case one pass.
    """
    if decimals == 0:
        return np.rint(values)
    scale = 10.0**decimals
    return np.rint(np.round(values * scale, 9)) / scale


def iaqi(concentration: np.ndarray, column: str, standard: AqiRuleSet) -> np.ndarray:
    """IAQI of one breakpoint column (e.g. "PM2.5_24h"), NaN where the concentration is missing.

    Values above a truncated column follow the version's note (fixed IAQI, or NaN where 2012 says to take
    the IAQI from another value); above the top of a full column the IAQI is 500.
    """
    points = np.asarray(BREAKPOINTS[standard][column], dtype=np.float64)
    scale = np.asarray(IAQI_POINTS[: len(points)])
    values = np.interp(concentration, points, scale)
    np.subtract(values, _CEIL_TOLERANCE, out=values)
    np.ceil(values, out=values)
    rule = ABOVE_TABLE[standard].get(column)
    if rule is not None:
        values[concentration > points[-1]] = rule[1] if rule[0] == "iaqi" else np.nan
    return values


@dataclass(frozen=True)
class AqiResult:
    """Per-row results; arrays are aligned with the input rows and `columns` with the feed order."""

    standard: AqiRuleSet
    columns: tuple[str, ...]
    pollutants: tuple[str, ...]
    iaqi: np.ndarray
    """float (rows, feeds): IAQI per feed, NaN where the value is missing."""
    aqi: np.ndarray
    """float: AQI, NaN where no pollutant was present."""
    level: np.ndarray
    """int8: 1–6, 0 where the AQI is missing."""
    primary: np.ndarray
    """bool (rows, feeds): feeds whose IAQI equals an AQI above 50 (ties all count)."""
    exceeding: np.ndarray
    """bool (rows, feeds): IAQI above 100 (HJ 633-2012 only; all False under HJ 633-2026)."""
    publish: np.ndarray
    """bool: the AQI may be published (HJ 633-2026 completeness rule; 2012: whenever there is an AQI)."""


def compute(
    concentrations: Mapping[str, np.ndarray],
    *,
    standard: AqiRuleSet,
    period: str,
    not_monitored: Collection[str] = (),
) -> AqiResult:
    """AQI and everything derived from it for rows of concentrations keyed by input column name.

    Keys not fed by this rule set and period are ignored; absent feeds count as missing. `not_monitored`
    names pollutants outside the monitoring plan that, per HJ 633-2026, do not block publication (never the
    primary pollutant of a lightly-polluted-or-worse day in the past three years — the caller's knowledge).
    """
    used = [feed for feed in feeds(standard, period) if feed.column in concentrations]
    rows = _row_count(concentrations)
    matrix = np.full((rows, len(used)), np.nan, order="F")  # column-major: each feed is written contiguously
    for index, feed in enumerate(used):
        matrix[:, index] = _feed_iaqi(concentrations, feed, standard)
    aqi = np.full(rows, np.nan)
    for index in range(len(used)):
        np.fmax(aqi, matrix[:, index], out=aqi)
    aqi = np.where(np.isnan(aqi), np.nan, np.maximum(aqi, AQI_FLOOR[standard]))
    with np.errstate(invalid="ignore"):
        primary = (matrix == aqi[:, None]) & (aqi > PRIMARY_ABOVE)[:, None]
        exceeding = matrix > EXCEEDING_ABOVE if standard == "HJ633-2012" else np.zeros_like(primary)
    return AqiResult(
        standard=standard,
        columns=tuple(feed.column for feed in used),
        pollutants=tuple(feed.pollutant for feed in used),
        iaqi=matrix,
        aqi=aqi,
        level=level_of(aqi),
        primary=primary,
        exceeding=exceeding,
        publish=_publishable(standard, period, used, matrix, aqi, not_monitored),
    )


def level_of(aqi: np.ndarray) -> np.ndarray:
    """AQI level 1–6 (HJ 633 levels table), 0 where the AQI is missing."""
    level = (np.searchsorted(np.asarray(SEVERITY_CEILINGS, dtype=np.float64), aqi, side="left") + 1)
    return np.where(np.isnan(aqi), 0, level).astype(np.int8)


def level_info(level: int, standard: AqiRuleSet) -> Level:
    """The row of the levels table for `level` (1–6), with HJ 633-2026's group wording under that rule set."""
    row = LEVELS[level - 1]
    if standard == "HJ633-2012":
        return row
    advice = row.advice_zh
    for old, new in GROUP_WORDING_2026.items():
        advice = advice.replace(old, new)
    return Level(**{**row.__dict__, "advice_zh": advice})


def sensitive_groups(pollutants: Sequence[str]) -> tuple[str, str]:
    """HJ 633-2026 sensitive groups (zh, en) for pollutants whose IAQI is above 100, in table order."""
    chosen = [SENSITIVE_GROUPS_2026[name] for name in SENSITIVE_GROUPS_2026 if name in pollutants]
    return "；".join(zh for zh, _ in chosen), "; ".join(en for _, en in chosen)


def names_where(mask: np.ndarray, names: Sequence[str], separator: str = ";") -> np.ndarray:
    """Per row, the names whose mask bit is set, joined (vectorised via one code per distinct combination)."""
    if not names:
        return np.full(mask.shape[0], "", dtype=object)
    codes = mask.astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))
    distinct, inverse = np.unique(codes, return_inverse=True)
    labels = np.array(
        [separator.join(n for bit, n in enumerate(names) if code >> bit & 1) for code in distinct], dtype=object
    )
    return labels[inverse]


def _row_count(concentrations: Mapping[str, np.ndarray]) -> int:
    lengths = {len(values) for values in concentrations.values()}
    if len(lengths) > 1:
        raise ValueError(f"concentration arrays differ in length: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _prepared(concentrations: Mapping[str, np.ndarray], column: str, pollutant: str,
              standard: AqiRuleSet) -> np.ndarray:
    values = np.asarray(concentrations[column], dtype=np.float64)
    decimals = INPUT_DECIMALS[standard].get(pollutant)
    return values if decimals is None else round_gbt8170(values, decimals)


def _feed_iaqi(concentrations: Mapping[str, np.ndarray], feed: Feed, standard: AqiRuleSet) -> np.ndarray:
    values = _prepared(concentrations, feed.column, feed.pollutant, standard)
    result = iaqi(values, feed.breakpoints, standard)
    rule = ABOVE_TABLE[standard].get(feed.breakpoints)
    if rule is not None and rule[0] == "substitute":
        substitute = str(rule[1])  # names both the input column and its breakpoint column
        if substitute in concentrations:
            stand_in = iaqi(_prepared(concentrations, substitute, feed.pollutant, standard), substitute, standard)
            result = np.where(values > BREAKPOINTS[standard][feed.breakpoints][-1], stand_in, result)
    return result


def _publishable(standard: AqiRuleSet, period: str, used: Sequence[Feed], matrix: np.ndarray,
                 aqi: np.ndarray, not_monitored: Collection[str]) -> np.ndarray:
    present = ~np.isnan(aqi)
    if standard == "HJ633-2012":
        return present
    complete = np.ones(len(aqi), dtype=bool)
    for feed in feeds(standard, period):
        if feed.pollutant in not_monitored:
            continue
        if feed in used:
            complete &= ~np.isnan(matrix[:, used.index(feed)])
        else:
            complete[:] = False
    with np.errstate(invalid="ignore"):
        return present & (complete | (aqi > PUBLISH_INCOMPLETE_ABOVE))
