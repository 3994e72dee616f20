"""QC thresholds as versioned data: defaults per parameter, overridden per site type, then per site.

A rule set is plain data (dicts of test → keyword arguments of the test function), so it can be stored,
diffed, reviewed and cited by id + version in every flag record. `resolve` merges the three layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TestParams = dict[str, dict[str, Any]]

HOUR = 3600.0


@dataclass(frozen=True)
class RuleSet:
    """Thresholds for a family of series. `parameters[p][test]` are the keyword arguments of that test."""

    id: str
    version: str
    interval: float
    parameters: Mapping[str, TestParams]
    site_types: Mapping[str, Mapping[str, TestParams]] = field(default_factory=dict)
    sites: Mapping[str, Mapping[str, TestParams]] = field(default_factory=dict)
    pairs: tuple[dict[str, Any], ...] = ()

    def resolve(self, parameter: str, site_type: str | None = None, site: str | None = None) -> TestParams:
        """Tests and thresholds for one series: site overrides site type overrides the parameter default."""
        if parameter not in self.parameters:
            raise ValueError(f"rule set {self.id} v{self.version} has no thresholds for parameter {parameter!r}; "
                             f"known: {', '.join(self.parameters)}")
        merged: TestParams = {t: dict(kw) for t, kw in self.parameters[parameter].items()}
        layers = (self.site_types.get(site_type or "", {}), self.sites.get(site or "", {}))
        for layer in layers:
            for test, kw in layer.get(parameter, {}).items():
                merged.setdefault(test, {}).update(kw)
        return merged


def _air(fail_high: float, suspect_high: float, spike: tuple[float, float], rate_per_h: float,
         floor: float) -> TestParams:
    return {
        "gross_range": {"fail_span": (0.0, fail_high), "suspect_span": (0.0, suspect_high)},
        "spike": {"suspect_threshold": spike[0], "fail_threshold": spike[1]},
        "rate_of_change": {"suspect_threshold": rate_per_h / HOUR},
        "flat_line": {"suspect_threshold": 4 * HOUR, "fail_threshold": 8 * HOUR, "tolerance": 0.0, "floor": floor},
        "time_gap": {"fail_span": 2 * HOUR},
    }


# Hourly ambient air, µg/m³ (CO mg/m³), ecomon defaults "air-hourly" v2026.1.
# Fail spans are the analysers' measuring ranges (PM: 0–1000 µg/m³ class of HJ 653-2021; gases: 500 nmol/mol for
# SO2/NO2/O3 and 50 µmol/mol for CO converted at 25 °C, HJ 654-2013 ranges) — the exact clauses were not read,
# so these are ecomon's engineering values. PM10 is allowed to 2000 for sand-dust episodes. Suspect spans,
# spike and rate thresholds are ecomon's, set above the 99.9th percentile of hourly steps in the Beijing
# 2013–2016 record; flat-line windows (4 h suspect, 8 h fail) and floors follow the detector D1 guard
# (never flag runs at the detection floor).
AIR_HOURLY = RuleSet(
    id="air-hourly",
    version="2026.1",
    interval=HOUR,
    parameters={
        "PM2.5": _air(1000, 600, (150, 400), 300, floor=10),
        "PM10": _air(2000, 900, (200, 600), 400, floor=20),
        "SO2": _air(1430, 500, (100, 300), 150, floor=10),
        "NO2": _air(940, 300, (100, 250), 150, floor=10),
        "O3": _air(980, 400, (100, 250), 150, floor=10),
        "CO": _air(62.5, 10, (3, 8), 5, floor=0.5),
    },
    # Roadside stations see sharper NO2/CO peaks from traffic.
    site_types={"roadside": {"NO2": {"spike": {"suspect_threshold": 150, "fail_threshold": 350}},
                             "CO": {"spike": {"suspect_threshold": 5, "fail_threshold": 12}}}},
    pairs=(
        # PM2.5 is a fraction of PM10 (HJ 817-2018 treats PM2.5 > PM10 separately; thresholds ours, D10 of the
        # fact sheet: suspect when PM2.5 > PM10 + 10 and ratio > 1.2).
        {"part": "PM2.5", "whole": "PM10", "suspect_excess": 10, "suspect_ratio": 1.2,
         "fail_excess": 50, "fail_ratio": 2.0},
        # NO2 is part of NOx (both as NO2, GB 3095-2012 Table 2).
        {"part": "NO2", "whole": "NOx", "suspect_excess": 10, "suspect_ratio": 1.1,
         "fail_excess": 40, "fail_ratio": 1.5},
    ),
)

# Flue-gas CEMS minute data "cems-minute" v2026.1: O2 in %; physical range 0–21 %, O2 ≥ 19 % with the unit
# running means air in-leak or dilution (HJ 75-2017 data review; fact sheet D11). Pollutants in mg/m³.
CEMS_MINUTE = RuleSet(
    id="cems-minute",
    version="2026.1",
    interval=60.0,
    parameters={
        "O2": {"gross_range": {"fail_span": (0.0, 21.0), "suspect_span": (2.0, 19.0)},
               "flat_line": {"suspect_threshold": 30 * 60, "fail_threshold": 120 * 60, "tolerance": 0.0,
                             "floor": 0.0},
               "time_gap": {"fail_span": 5 * 60}},
        "SO2": {"gross_range": {"fail_span": (0.0, 5000.0), "suspect_span": (0.0, 1000.0)},
                "flat_line": {"suspect_threshold": 30 * 60, "fail_threshold": 120 * 60, "tolerance": 0.0,
                              "floor": 3.0},
                "time_gap": {"fail_span": 5 * 60}},
        "NOx": {"gross_range": {"fail_span": (0.0, 5000.0), "suspect_span": (0.0, 1000.0)},
                "flat_line": {"suspect_threshold": 30 * 60, "fail_threshold": 120 * 60, "tolerance": 0.0,
                              "floor": 3.0},
                "time_gap": {"fail_span": 5 * 60}},
    },
)

RULE_SETS = {r.id: r for r in (AIR_HOURLY, CEMS_MINUTE)}
