"""Rule-set identifiers for air evaluation and which one applies on a given date.

GB 3095-2026 and HJ 633-2026 took effect on 2026-03-01 (GB 3095-2026 §1 / HJ 633-2026 §1); GB 3095-2026
Table 1 keeps transitional limits for the basic items until 2030-12-31 and final limits from 2031-01-01.
Every stored result carries one of these identifiers so that 2012 and 2026 results are never mixed silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import numpy as np

AqiRuleSet = Literal["HJ633-2012", "HJ633-2026"]
LimitRuleSet = Literal["GB3095-2012", "GB3095-2026-transitional", "GB3095-2026"]

AQI_RULESETS: Final[tuple[AqiRuleSet, ...]] = ("HJ633-2012", "HJ633-2026")
LIMIT_RULESETS: Final[tuple[LimitRuleSet, ...]] = ("GB3095-2012", "GB3095-2026-transitional", "GB3095-2026")

IN_FORCE_2026: Final = dt.date(2026, 3, 1)
"""GB 3095-2026 and HJ 633-2026 in force; data dated earlier stay on the 2012 rules."""
FINAL_LIMITS_FROM: Final = dt.date(2031, 1, 1)
"""GB 3095-2026 Table 1: transitional limits apply until 2030-12-31."""


def aqi_ruleset_on(day: dt.date) -> AqiRuleSet:
    """The AQI technical rule in force on `day`."""
    return "HJ633-2012" if day < IN_FORCE_2026 else "HJ633-2026"


def limit_ruleset_on(day: dt.date) -> LimitRuleSet:
    """The GB 3095 limit set in force on `day`."""
    if day < IN_FORCE_2026:
        return "GB3095-2012"
    return "GB3095-2026-transitional" if day < FINAL_LIMITS_FROM else "GB3095-2026"


def aqi_rulesets_on(days: np.ndarray) -> np.ndarray:
    """Vectorised `aqi_ruleset_on` over an array of numpy datetime64 values."""
    before = days.astype("datetime64[D]") < np.datetime64(IN_FORCE_2026)
    return np.where(before, AQI_RULESETS[0], AQI_RULESETS[1])


def check_aqi_ruleset(name: str) -> AqiRuleSet:
    """Validate a user-given AQI rule-set identifier."""
    if name not in AQI_RULESETS:
        raise ValueError(f"unknown AQI rule set {name!r}; expected one of {', '.join(AQI_RULESETS)}")
    return name  # type: ignore[return-value]


def check_limit_ruleset(name: str) -> LimitRuleSet:
    """Validate a user-given GB 3095 limit-set identifier."""
    if name not in LIMIT_RULESETS:
        raise ValueError(f"unknown limit set {name!r}; expected one of {', '.join(LIMIT_RULESETS)}")
    return name  # type: ignore[return-value]
