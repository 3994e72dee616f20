"""Gap detection (pure): holes in a device's minute or hour data and the history request that asks for them.

A hole is a run of missing interval starts between two DataTimes the device did deliver: the device was online
after the hole, so it can be asked for it (HJ 212-2017 §6.5.3 / Tables C.47-C.50: 2051/2061 with BeginTime and
EndTime, answered 9011, one upload per record, 9012). A silent tail (device offline) becomes a hole once newer
data arrives. The step is the device's own: the most common spacing of its DataTimes (MinInterval may be 1-30 min).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

HISTORY_CN = {"minute": "2051", "hour": "2061"}
DEFAULT_STEP = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}
TIME_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True, slots=True)
class Gap:
    begin: datetime  # first missing interval start (device local time)
    end: datetime  # last missing interval start
    missing: int


def usual_step(times: Sequence[datetime], default: timedelta) -> timedelta:
    """The most common positive spacing of sorted `times` (ties: the smaller), else `default`."""
    spacings = Counter(b - a for a, b in itertools.pairwise(times) if b > a)
    if not spacings:
        return default
    best = max(spacings.values())
    return min(step for step, count in spacings.items() if count == best)


def find_gaps(times: Sequence[datetime], step: timedelta, max_missing: int) -> list[Gap]:
    """Holes between consecutive delivered `times` (sorted, distinct), each cut into windows of at most
    `max_missing` intervals so one history request stays small enough to answer within the execution timeout."""
    gaps: list[Gap] = []
    for before, after in itertools.pairwise(times):
        missing = round((after - before) / step) - 1
        begin = before + step
        while missing > 0:
            n = min(missing, max_missing)
            gaps.append(Gap(begin, begin + step * (n - 1), n))
            begin += step * n
            missing -= n
    return gaps


def history_cp(gap: Gap) -> dict[str, str]:
    """CP of the history-data request for `gap` (BeginTime/EndTime, §6.5.3; both ends included)."""
    return {"BeginTime": gap.begin.strftime(TIME_FORMAT), "EndTime": gap.end.strftime(TIME_FORMAT)}
