"""The alarm event: which detector fired, where, when, how strongly, and the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ecomon.quality.detectors.panel import Panel

ALARM_COLUMNS = ["station", "parameter", "start", "end", "detector", "score"]


@dataclass(frozen=True)
class AlarmEvent:
    """One finding. `parameter` is "" for station-level alarms; `start`/`end` are inclusive (UTC datetime64).

    `evidence` holds the statistic, its threshold and context numbers; `series` is chart-ready: ISO times and
    the values (and reference curve) around the window. Findings never change the data they describe.
    """

    detector: str
    station: str
    parameter: str
    start: np.datetime64
    end: np.datetime64
    score: float
    evidence: dict[str, float | str] = field(default_factory=dict)
    series: dict[str, list] = field(default_factory=dict)


def score(statistic: float, threshold: float) -> float:
    """Map "statistic over threshold" (≥ 1 when the detector fires) to (0, 1): 0.5 at the threshold."""
    return float(np.clip(1.0 - 0.5 ** (statistic / threshold), 0.0, 1.0)) if threshold > 0 else 1.0


def runs(mask: np.ndarray, min_length: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Starts and inclusive ends of the True runs of a 1-D mask that are at least `min_length` long."""
    m = np.r_[False, np.asarray(mask, dtype=bool), False]
    edges = np.flatnonzero(m[1:] != m[:-1])
    starts, ends = edges[::2], edges[1::2] - 1
    keep = ends - starts + 1 >= min_length
    return starts[keep], ends[keep]


def chart(panel: Panel, s: int, start: int, end: int, reference: np.ndarray | None = None,
          pad: int = 24) -> dict[str, list]:
    """Values of station column `s` from `pad` hours before to `pad` after the window, for a chart."""
    lo, hi = max(0, start - pad), min(panel.times.size, end + pad + 1)
    def clean(a: np.ndarray) -> list:
        return [None if np.isnan(v) else round(float(v), 4) for v in a]
    out = {"time": [str(t) + "Z" for t in panel.times[lo:hi]], "value": clean(panel.values[lo:hi, s])}
    if reference is not None:
        out["reference"] = clean(reference[lo:hi])
    return out


def event(detector: str, panel: Panel, s: int, start: int, end: int, score_: float,
          evidence: dict[str, float | str], reference: np.ndarray | None = None,
          parameter: str | None = None) -> AlarmEvent:
    """Build an event for station column `s` over grid rows start..end (inclusive)."""
    return AlarmEvent(detector, panel.stations[s], panel.parameter if parameter is None else parameter,
                      panel.times[start], panel.times[end], score_,
                      {k: (round(float(v), 4) if isinstance(v, (int, float, np.floating, np.integer)) else v)
                       for k, v in evidence.items()},
                      chart(panel, s, start, end, reference))


def to_frame(events: list[AlarmEvent]) -> pl.DataFrame:
    """Events as rows of station, parameter, start, end (UTC), detector, score — sorted for stable output."""
    schema = {"station": pl.String, "parameter": pl.String, "start": pl.Datetime("us", "UTC"),
              "end": pl.Datetime("us", "UTC"), "detector": pl.String, "score": pl.Float64}
    rows = [(e.station, e.parameter, e.start.astype("datetime64[us]").item(), e.end.astype("datetime64[us]").item(),
             e.detector, round(e.score, 3)) for e in events]
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["station", "parameter", "start", "detector"])


