"""GB 3095 limits and the HJ 663 statistics they are compared with, as data.

µg/m³, CO in mg/m³. Keys are (pollutant statistic column, averaging time).
"""

from __future__ import annotations

from typing import Final

from ecomon.standards.rulesets import LimitRuleSet

Limits = dict[tuple[str, str], tuple[float, float]]

# GB 3095-2012 Table 1 (basic items), (grade 1, grade 2).
_GB3095_2012: Final[Limits] = {
    ("SO2", "year"): (20, 60), ("SO2", "24h"): (50, 150), ("SO2", "1h"): (150, 500),
    ("NO2", "year"): (40, 40), ("NO2", "24h"): (80, 80), ("NO2", "1h"): (200, 200),
    ("CO", "24h"): (4, 4), ("CO", "1h"): (10, 10),
    ("O3", "8h"): (100, 160), ("O3", "1h"): (160, 200),
    ("PM10", "year"): (40, 70), ("PM10", "24h"): (50, 150),
    ("PM2.5", "year"): (15, 35), ("PM2.5", "24h"): (35, 75),
}

# GB 3095-2026 Table 1: transitional limits (until 2030-12-31) and final limits (from 2031-01-01).
LIMITS: Final[dict[LimitRuleSet, Limits]] = {
    "GB3095-2012": _GB3095_2012,
    "GB3095-2026-transitional": {
        **_GB3095_2012,
        ("PM10", "year"): (40, 60), ("PM10", "24h"): (50, 120),
        ("PM2.5", "year"): (15, 30), ("PM2.5", "24h"): (35, 60),
    },
    "GB3095-2026": {
        **_GB3095_2012,
        ("SO2", "year"): (20, 20), ("SO2", "24h"): (50, 50), ("SO2", "1h"): (150, 150),
        ("NO2", "year"): (30, 30), ("NO2", "24h"): (50, 50),
        ("PM10", "year"): (20, 50), ("PM10", "24h"): (50, 100),
        ("PM2.5", "year"): (10, 25), ("PM2.5", "24h"): (25, 50),
    },
}

DAILY_POLLUTANTS: Final = ("SO2", "NO2", "CO", "PM10", "PM2.5")
"""Pollutants whose daily value is the 24 h mean (GB 3095 Table 1, 24 h averaging)."""
ASSESSED: Final = ("SO2", "NO2", "CO", "O3_8h", "PM10", "PM2.5")
"""The six items of the daily assessment and the composite index; O3_8h is the daily maximum 8 h mean."""

# HJ 663 annual statistics (年评价): the percentile of daily values compared with the 24 h limit, plus the
# annual mean for the items that have an annual limit. CO: 24 h 95th; O3: daily max 8 h 90th.
PERCENTILES: Final[dict[str, float]] = {"SO2": 98, "NO2": 98, "PM10": 95, "PM2.5": 95, "CO": 95, "O3_8h": 90}
HAS_ANNUAL_LIMIT: Final = ("SO2", "NO2", "PM10", "PM2.5")


def limit(ruleset: LimitRuleSet, pollutant: str, averaging: str, grade: int) -> float:
    """One GB 3095 Table 1 value; `pollutant` may be "O3_8h" for the 8 h O3 limit."""
    if grade not in (1, 2):
        raise ValueError(f"grade must be 1 or 2, not {grade}")
    key = ("O3", "8h") if pollutant == "O3_8h" else (pollutant, averaging)
    return float(LIMITS[ruleset][key][grade - 1])


def daily_limit(ruleset: LimitRuleSet, pollutant: str, grade: int) -> float:
    """The limit a daily value is compared with: 24 h, or 8 h for the O3 daily maximum 8 h mean."""
    return limit(ruleset, pollutant, "8h" if pollutant == "O3_8h" else "24h", grade)


# Composite index 综合指数 (MEE city-ranking rules, 2014/2018): I_i = C_i / S_i with S_i the grade-2 annual
# limit for SO2, NO2, PM10, PM2.5, the 24 h limit for CO and the 8 h limit for O3, C_i the period mean or,
# for CO and O3, the percentile above. For the 2026 limit sets the same rule is applied to their grade-2
# values: HJ 663-2026's own definition (and any weights) was not available when this was written.
def composite_denominators(ruleset: LimitRuleSet) -> dict[str, float]:
    """S_i of the composite index under `ruleset`."""
    return {
        pollutant: limit(ruleset, pollutant, "year", 2) if pollutant in HAS_ANNUAL_LIMIT
        else daily_limit(ruleset, pollutant, 2)
        for pollutant in ASSESSED
    }
