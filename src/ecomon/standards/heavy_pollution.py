"""Heavy-pollution weather warning levels (重污染天气预警) from forecast or observed daily AQI.

Two gradings are in use and regions may be stricter, so the grading is data (`SCHEMES`), chosen per city:
- "MEE-2017": the 2017 national grading (MEE, 2017-09-20), four levels;
- "guidance-2018": city plans after the 2018 revision of the national guidance (e.g. Xinzhou 2020), three levels.
The daily AQI for warnings is the rolling 24 h value, which may cross midnight; an episode is a run of
consecutive days with AQI above 200 (back-to-back episodes with no clean day between count as one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

HEAVY_ABOVE: Final = 200.0
SEVERE_ABOVE: Final = 300.0
TOP_OF_SCALE: Final = 500.0
LEVEL_NAMES: Final = {0: ("", ""), 1: ("蓝色", "blue"), 2: ("黄色", "yellow"), 3: ("橙色", "orange"), 4: ("红色", "red")}


@dataclass(frozen=True)
class Trigger:
    """A level is reached when an episode has ≥ `heavy_days` days above 200 and ≥ `severe_days` days above
    300, or (if `or_top`) any day at the top of the scale (AQI 500)."""

    level: int
    heavy_days: int
    severe_days: int = 0
    or_top: bool = False


SCHEMES: Final[dict[str, tuple[Trigger, ...]]] = {
    # Highest level first.
    "MEE-2017": (
        Trigger(4, heavy_days=4, severe_days=2, or_top=True),
        Trigger(3, heavy_days=3, severe_days=1),
        Trigger(2, heavy_days=2),
        Trigger(1, heavy_days=1),
    ),
    "guidance-2018": (
        Trigger(4, heavy_days=4, severe_days=2, or_top=True),
        Trigger(3, heavy_days=3),
        Trigger(2, heavy_days=2),
    ),
}


@dataclass(frozen=True)
class Episode:
    """Days [start, stop) of a run of AQI > 200 and the warning level it calls for (0 = none)."""

    start: int
    stop: int
    level: int


def level_for(heavy_days: int, severe_days: int, reaches_top: bool, scheme: str = "MEE-2017") -> int:
    """Warning level (0 none, 1 blue … 4 red) for an episode's counts."""
    for trigger in _scheme(scheme):
        if (heavy_days >= trigger.heavy_days and severe_days >= trigger.severe_days) or (
            trigger.or_top and reaches_top
        ):
            return trigger.level
    return 0


def episodes(daily_aqi: np.ndarray, scheme: str = "MEE-2017") -> list[Episode]:
    """Split a daily AQI series (forecast or observed, consecutive days) into episodes with their level.

    Missing days (NaN) end an episode, as no day above 200 is known there.
    """
    _scheme(scheme)
    with np.errstate(invalid="ignore"):
        heavy = np.asarray(daily_aqi, dtype=np.float64) > HEAVY_ABOVE
    edges = np.diff(np.concatenate([[0], heavy.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    values = np.asarray(daily_aqi, dtype=np.float64)
    result = []
    for start, stop in zip(starts.tolist(), stops.tolist()):
        run = values[start:stop]
        level = level_for(stop - start, int((run > SEVERE_ABOVE).sum()), bool((run >= TOP_OF_SCALE).any()), scheme)
        result.append(Episode(start, stop, level))
    return result


def _scheme(name: str) -> tuple[Trigger, ...]:
    if name not in SCHEMES:
        raise ValueError(f"unknown warning scheme {name!r}; expected one of {', '.join(SCHEMES)}")
    return SCHEMES[name]
