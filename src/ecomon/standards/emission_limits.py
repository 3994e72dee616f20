"""Flue-gas emission limits as data: one `LimitSet` per (standard, source category).

A new standard (or a local one stricter than the national) is added as more `LimitSet` rows; nothing else
changes. Concentrations in mg/m³ at the standard state (273 K, 101.325 kPa), dry gas, converted to the
reference oxygen content `o2_ref` (percent). Pollutant keys: PM (颗粒物/烟尘), SO2, NOx (as NO2), Hg (汞及其化合物).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

POLLUTANTS: tuple[str, ...] = ("PM", "SO2", "NOx", "Hg")


@dataclass(frozen=True)
class LimitSet:
    """The limits one source category must meet, and where they come from."""

    standard: str
    category: str
    clause: str
    o2_ref: float
    limits: Mapping[str, float]
    description: str


def _boiler(
    category: str, clause: str, o2: float, pm: float, so2: float, nox: float, hg: float | None, text: str
) -> LimitSet:
    limits = {"PM": pm, "SO2": so2, "NOx": nox} | ({"Hg": hg} if hg is not None else {})
    return LimitSet("GB13271-2014", category, clause, o2, limits, text)


def _power(category: str, clause: str, o2: float, limits: Mapping[str, float], text: str) -> LimitSet:
    return LimitSet("GB13223-2011", category, clause, o2, limits, text)


#: GB 13271-2014 锅炉大气污染物排放标准: Table 1 (existing boilers), Table 2 (new boilers), Table 3 (special
#: limits for key regions); reference O2 per §5.2: coal-fired 9 %, oil- and gas-fired 3.5 %.
GB13271_2014: tuple[LimitSet, ...] = (
    _boiler("coal-existing", "Table 1", 9.0, 80, 400, 400, 0.05, "在用燃煤锅炉"),
    _boiler(
        "coal-existing-southwest",
        "Table 1 note",
        9.0,
        80,
        550,
        400,
        0.05,
        "在用燃煤锅炉（广西、重庆、四川、贵州）",
    ),
    _boiler("oil-existing", "Table 1", 3.5, 60, 300, 400, None, "在用燃油锅炉"),
    _boiler("gas-existing", "Table 1", 3.5, 30, 100, 400, None, "在用燃气锅炉"),
    _boiler("coal-new", "Table 2", 9.0, 50, 300, 300, 0.05, "新建燃煤锅炉"),
    _boiler("oil-new", "Table 2", 3.5, 30, 200, 250, None, "新建燃油锅炉"),
    _boiler("gas-new", "Table 2", 3.5, 20, 50, 200, None, "新建燃气锅炉"),
    _boiler("coal-special", "Table 3", 9.0, 30, 200, 200, 0.05, "燃煤锅炉大气污染物特别排放限值"),
    _boiler("oil-special", "Table 3", 3.5, 30, 100, 200, None, "燃油锅炉大气污染物特别排放限值"),
    _boiler("gas-special", "Table 3", 3.5, 20, 50, 150, None, "燃气锅炉大气污染物特别排放限值"),
)

#: GB 13223-2011 火电厂大气污染物排放标准, Table 1; reference O2 6 % for coal-fired boilers, 3 % for gas-fired
#: boilers, 15 % for gas turbines. Gas rows and the reference O2 of gas units were taken from copies of
#: Table 1, not re-read in the standard.
GB13223_2011: tuple[LimitSet, ...] = (
    _power("coal-new", "Table 1", 6.0, {"PM": 30, "SO2": 100, "NOx": 100, "Hg": 0.03}, "新建燃煤锅炉"),
    _power("coal-existing", "Table 1", 6.0, {"PM": 30, "SO2": 200, "NOx": 100, "Hg": 0.03}, "现有燃煤锅炉"),
    _power(
        "coal-existing-w-flame-cfb",
        "Table 1",
        6.0,
        {"PM": 30, "SO2": 200, "NOx": 200, "Hg": 0.03},
        "现有燃煤锅炉：W型火焰炉膛、循环流化床及2003-12-31前建成投产或通过环评的机组",
    ),
    _power("gas-boiler-natural-gas", "Table 1", 3.0, {"PM": 5, "SO2": 35, "NOx": 100}, "天然气锅炉"),
    _power("gas-turbine-natural-gas", "Table 1", 15.0, {"PM": 5, "SO2": 35, "NOx": 50}, "天然气燃气轮机组"),
)

#: 全面实施燃煤电厂超低排放和节能改造工作方案 (环发〔2015〕164号): ultra-low emission of coal-fired units,
#: at 6 % O2. A policy target rather than a GB standard, kept as its own "standard" so it can be chosen.
ULTRA_LOW_2015: tuple[LimitSet, ...] = (
    LimitSet(
        "ultra-low-2015",
        "coal",
        "环发〔2015〕164号",
        6.0,
        {"PM": 10, "SO2": 35, "NOx": 50},
        "燃煤机组超低排放",
    ),
)

LIMIT_SETS: dict[tuple[str, str], LimitSet] = {
    (entry.standard, entry.category): entry for entry in (*GB13271_2014, *GB13223_2011, *ULTRA_LOW_2015)
}


def limit_set(standard: str, category: str) -> LimitSet:
    """The limits of `category` under `standard`, or a ValueError listing what exists."""
    try:
        return LIMIT_SETS[(standard, category)]
    except KeyError:
        known = sorted(c for s, c in LIMIT_SETS if s == standard)
        if not known:
            standards = sorted({s for s, _ in LIMIT_SETS})
            raise ValueError(
                f"unknown emission standard {standard!r} (known: {', '.join(standards)})"
            ) from None
        raise ValueError(
            f"unknown category {category!r} for {standard} (known: {', '.join(known)})"
        ) from None
