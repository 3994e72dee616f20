"""The detector catalogue: what each detector catches, what it needs, and one entry point for hourly air data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from ecomon.quality.detectors.clamp import detect_clamp
from ecomon.quality.detectors.copy_series import detect_copy
from ecomon.quality.detectors.events import AlarmEvent
from ecomon.quality.detectors.flat import detect_flat
from ecomon.quality.detectors.gaps_at_high import detect_gaps_at_high
from ecomon.quality.detectors.neighbour_shift import (
    detect_neighbour_shift,
    detect_particle_shift,
    total_oxidant,
)
from ecomon.quality.detectors.panel import build_panels, neighbour_median
from ecomon.quality.detectors.parked import detect_parked
from ecomon.quality.detectors.smoothing import detect_smoothing
from ecomon.quality.detectors.spraying import detect_spraying


@dataclass(frozen=True)
class DetectorInfo:
    """Catalogue entry; `needs` names inputs beyond one hourly series (neighbours, device flags, raw data…)."""

    name: str
    code: str
    label_zh: str
    catches: str
    needs: tuple[str, ...] = ()


CATALOGUE: tuple[DetectorInfo, ...] = (
    DetectorInfo("flat", "D1", "恒值", "constant/frozen values"),
    DetectorInfo("smoothing", "D2", "数据过于平稳", "over-smoothed series"),
    DetectorInfo("parked", "D3", "限值下方堆积", "values parked just under the limit"),
    DetectorInfo("clamp", "D4", "封顶", "values capped at a ceiling"),
    DetectorInfo("copy", "D6/D7", "数据复制", "series copied from another day or station"),
    DetectorInfo("neighbour_shift", "D8", "与周边站点偏离", "quiet level shift against neighbours", ("neighbours",)),
    DetectorInfo("spraying", "D9", "遮挡/喷淋", "blocking or spraying drops during pollution", ("neighbours",)),
    DetectorInfo("cems_tamper", "D11/D12", "氧含量/流量篡改", "CEMS O2 dilution and flow/load decoupling",
                 ("cems",)),
    DetectorInfo("calibration_abuse", "D14", "标记滥用", "calibration/maintenance flags around peaks",
                 ("device_flags",)),
    DetectorInfo("gaps_at_high", "D15", "高值缺测", "gaps aligned with high values"),
    DetectorInfo("raw_vs_hourly", "D16", "原始数据与小时值不符", "raw vs reported hourly mismatch", ("raw",)),
)


def detect_hourly(frame: pl.DataFrame, coords: Mapping[str, tuple[float, float]] | None = None
                  ) -> list[AlarmEvent]:
    """Run every detector that hourly station data (plus coordinates, if given) can feed.

    `frame` is long format: time (datetime), station, parameter, value. Without `coords` the neighbour
    detectors are skipped and clamp/gap detectors use the station's own history as context.
    """
    panels = build_panels(frame)
    refs: dict[str, np.ndarray] = {}
    if coords is not None:
        unknown = sorted(set(frame["station"].unique()) - set(coords))
        if unknown:
            raise ValueError(f"no coordinates for station(s) {', '.join(unknown)}")
        refs = {p: neighbour_median(panel, coords) for p, panel in panels.items()}
    events: list[AlarmEvent] = []
    gone = {p: np.isnan(panel.values) for p, panel in panels.items()}
    for p, panel in panels.items():
        ref = refs.get(p)
        events += detect_flat(panel)
        events += detect_smoothing(panel)
        events += detect_parked(panel)
        events += detect_clamp(panel, ref)
        events += detect_copy(panel)
        others = [g for q, g in gone.items() if q != p]
        events += detect_gaps_at_high(panel, ref, station_outage=np.all(others, axis=0) if others else None)
        if ref is not None and p == "O3" and "NO2" in panels:
            ox = total_oxidant(panel, panels["NO2"])
            events += [replace(e, evidence={**e.evidence, "judged_as": "Ox = O3 + NO2"})
                       for e in detect_neighbour_shift(ox, neighbour_median(ox, coords))]
        elif ref is not None:
            events += detect_neighbour_shift(panel, ref)
    if refs:
        events += detect_spraying(panels, refs)
    if "PM2.5" in refs and "PM10" in refs:
        events += detect_particle_shift(panels["PM2.5"], panels["PM10"], refs["PM2.5"], refs["PM10"])
    return events
