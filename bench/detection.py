"""Detection-quality benchmark on the real Beijing data with injected falsification patterns (fact sheet §6).

For each year (Mar–Feb) of data/beijing-air: run the detectors on the data as published (natural alarms), inject
seeded patterns with known station, parameter(s), window and magnitude, run again and score:
event recall per pattern (an event counts when an alarm on its station and one of its parameters overlaps the
window ± 24 h) overall and per year (each year is a hold-out check for thresholds tuned on the others), precision
per detector (its alarms on the injected data that match an injection, among those not already raised on the
clean data), natural alarms per station-year, and onset offset (first matching alarm start − event start).
Run: .venv/bin/python bench/detection.py [--years 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import polars as pl

from ecomon.quality.cli import read_sites
from ecomon.quality.detectors.catalogue import detect_hourly
from ecomon.quality.detectors.events import to_frame
from ecomon.quality.detectors.panel import build_panels, neighbour_median

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "beijing-air"
PARAMS = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]
GRACE = np.timedelta64(24, "h")
TARGETS = {"flat": 0.9, "copy_day": 0.9, "clamp": 0.9, "level_shift": 0.9, "spraying": 0.8, "neighbour_copy": 0.8}


def load() -> pl.DataFrame:
    raw = pl.read_csv(DATA / "hourly-2013-03_2016-02.csv.gz", null_values="NA", infer_schema_length=None)
    raw = raw.with_columns(time=pl.datetime("year", "month", "day", "hour", time_zone="Asia/Shanghai")
                           .dt.convert_time_zone("UTC"), CO=pl.col("CO") / 1000)
    return raw.unpivot(index=["time", "station"], on=PARAMS, variable_name="parameter").drop_nulls("value")


class Injector:
    """Applies patterns to dense panels and records labels (station, parameters, start row, end row)."""

    def __init__(self, frame: pl.DataFrame, coords: dict, rng: np.random.Generator):
        self.panels = build_panels(frame)
        self.values = {p: pan.values.copy() for p, pan in self.panels.items()}
        self.ref = {p: neighbour_median(pan, coords) for p, pan in self.panels.items()}
        self.times = self.panels["PM2.5"].times
        self.stations = self.panels["PM2.5"].stations
        self.rng = rng
        self.busy = np.zeros((self.times.size, len(self.stations)), dtype=bool)
        self.labels: list[dict] = []

    def _slot(self, length: int, ok=lambda t, s: True, tries: int = 400) -> tuple[int, int] | None:
        for _ in range(tries):
            s = int(self.rng.integers(len(self.stations)))
            t = int(self.rng.integers(24 * 35, self.times.size - length - 48))
            if not self.busy[t - 48:t + length + 48, s].any() and ok(t, s):
                self.busy[t - 48:t + length + 48, s] = True
                return t, s
        return None

    def label(self, kind: str, s: int, params: list[str], a: int, b: int, magnitude: float) -> None:
        self.labels.append({"kind": kind, "station": self.stations[s], "params": params,
                            "start": self.times[a], "end": self.times[b], "magnitude": magnitude})

    def complete(self, p: str, s: int, a: int, b: int, minimum: float = 0.0) -> bool:
        v = self.values[p][a:b + 1, s]
        return bool(np.all(~np.isnan(v)) and np.nanmedian(v) > minimum)

    def flat(self) -> None:
        p = str(self.rng.choice(["PM2.5", "PM10", "NO2"]))
        n = int(self.rng.integers(6, 10))
        med = np.nanmedian(self.values[p])
        slot = self._slot(n, lambda t, s: self.complete(p, s, t, t + n - 1, med))
        if slot:
            t, s = slot
            self.values[p][t:t + n, s] = self.values[p][t, s]
            self.label("flat", s, [p], t, t + n - 1, n)

    def copy_day(self) -> None:
        p = str(self.rng.choice(["PM2.5", "PM10", "NO2", "O3"]))
        slot = self._slot(24, lambda t, s: self.complete(p, s, t - 168, t + 23, 5))
        if slot:
            t, s = slot
            self.values[p][t:t + 24, s] = self.values[p][t - 168:t - 144, s]
            self.label("copy_day", s, [p], t, t + 23, 7)

    def neighbour_copy(self) -> None:
        """All parameters of a station replaced by another station's values for 24–48 h (station level)."""
        n = int(self.rng.integers(24, 49))
        src = int(self.rng.integers(len(self.stations)))
        ok = lambda t, s: s != src and all(self.complete(p, src, t, t + n - 1, 2) for p in ("PM2.5", "NO2"))
        slot = self._slot(n, ok)
        if slot:
            t, s = slot
            for p in PARAMS:
                self.values[p][t:t + n, s] = self.values[p][t:t + n, src]
            self.label("neighbour_copy", s, PARAMS, t, t + n - 1, n)

    def clamp(self) -> None:
        """Daily PM2.5 means above 75 pulled into 66–74.5 for 30 days (fact sheet §6.3 'clamp')."""
        n = 30 * 24
        def ok(t: int, s: int) -> bool:
            v = self.values["PM2.5"][t:t + n, s]
            return bool(np.mean(~np.isnan(v)) > 0.9 and np.nanmean(v) > 90)
        slot = self._slot(n, ok)
        if slot:
            t, s = slot
            utc_hour = int((self.times[t] - self.times[t].astype("datetime64[D]")) // np.timedelta64(1, "h"))
            t0 = t + (16 - utc_hour) % 24  # the next local (UTC+8) midnight: daily means are calendar days
            for d in range(30):
                day = self.values["PM2.5"][t0 + 24 * d:t0 + 24 * d + 24, s]
                m = np.nanmean(day)
                if m > 75:
                    day *= self.rng.uniform(66, 74.5) / m
            self.label("clamp", s, ["PM2.5"], t0, t0 + n - 1, 75)

    def cap(self) -> None:
        p = str(self.rng.choice(["PM2.5", "PM10", "O3"]))
        n = 7 * 24
        slot = self._slot(n, lambda t, s: self.complete(p, s, t, t + 23, 30))
        if slot:
            t, s = slot
            w = self.values[p][t:t + n, s]
            c = float(np.round(np.nanquantile(w, 0.8)))
            hit = w > c
            if hit.sum() >= 3:
                w[hit] = c
                self.label("cap", s, [p], t, t + n - 1, c)

    def level_shift(self) -> None:
        params = [str(self.rng.choice(["PM2.5", "PM10", "NO2", "SO2"]))] if self.rng.random() < 0.6 else ["PM2.5", "PM10"]
        n = 14 * 24
        slot = self._slot(n, lambda t, s: all(np.mean(~np.isnan(self.values[p][t:t + n, s])) > 0.8 for p in params))
        if slot:
            t, s = slot
            for p in params:
                self.values[p][t:t + n, s] *= 0.6
            self.label("level_shift", s, params, t, t + n - 1, 0.6)

    def spraying(self) -> None:
        n = int(self.rng.integers(2, 4))
        ok = lambda t, s: bool(np.all(self.ref["PM2.5"][t:t + n, s] >= 100)) and \
            all(self.complete(p, s, t, t + n - 1) for p in ("PM2.5", "PM10"))
        slot = self._slot(n, ok, tries=3000)
        if slot:
            t, s = slot
            for p in ("PM2.5", "PM10"):
                self.values[p][t:t + n, s] *= 0.3
            self.label("spraying", s, ["PM2.5", "PM10"], t, t + n - 1, 0.3)

    def smoothing(self) -> None:
        p = "PM2.5"
        n = 5 * 24
        slot = self._slot(n, lambda t, s: self.complete(p, s, t - 6, t + n + 6, 20))
        if slot:
            t, s = slot
            v = self.values[p][t - 6:t + n + 6, s]
            smooth = np.convolve(v, np.ones(13) / 13, mode="valid")
            self.values[p][t:t + n, s] = np.round(smooth[:n])
            self.label("smoothing", s, [p], t, t + n - 1, 13)

    def gaps_at_high(self) -> None:
        p = str(self.rng.choice(["PM2.5", "PM10"]))
        n = 30 * 24
        slot = self._slot(n, lambda t, s: np.mean(~np.isnan(self.values[p][t:t + n, s])) > 0.9)
        if slot:
            t, s = slot
            w = self.values[p][t:t + n, s]
            ref = self.ref[p][t:t + n, s]
            top = np.argsort(np.where(np.isnan(ref), -np.inf, ref))[-40:]
            drop = self.rng.choice(top, 12, replace=False)
            w[drop] = np.nan
            self.label("gaps_at_high", s, [p], t + int(drop.min()), t + int(drop.max()), 12)

    def frame(self) -> pl.DataFrame:
        parts = []
        for p, v in self.values.items():
            tt, ss = np.nonzero(~np.isnan(v))
            parts.append(pl.DataFrame({"time": self.times[tt].astype("datetime64[us]"),
                                       "station": np.array(self.stations)[ss], "parameter": p, "value": v[tt, ss]}))
        return pl.concat(parts).with_columns(pl.col("time").dt.replace_time_zone("UTC"))


def match(alarms: pl.DataFrame, labels: list[dict]) -> tuple[list[float | None], np.ndarray]:
    """Per label: onset offset in hours of the first matching alarm (None if missed); per alarm: matched?"""
    a_st = alarms["station"].to_numpy()
    a_p = alarms["parameter"].to_numpy()
    a_s = alarms["start"].dt.replace_time_zone(None).to_numpy().astype("datetime64[s]")
    a_e = alarms["end"].dt.replace_time_zone(None).to_numpy().astype("datetime64[s]")
    used = np.zeros(alarms.height, dtype=bool)
    offsets: list[float | None] = []
    for lab in labels:
        hit = (a_st == lab["station"]) & (np.isin(a_p, lab["params"]) | (a_p == "")) & \
            (a_s <= lab["end"] + GRACE) & (a_e >= lab["start"] - GRACE)
        used |= hit
        offsets.append(float((a_s[hit].min() - lab["start"]) / np.timedelta64(1, "h")) if hit.any() else None)
    return offsets, used


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    coords = read_sites(DATA / "sites.csv")
    data = load()
    rng = np.random.default_rng(args.seed)
    patterns = {"flat": 25, "copy_day": 25, "neighbour_copy": 12, "clamp": 4, "cap": 15, "level_shift": 10,
                "spraying": 25, "smoothing": 10, "gaps_at_high": 6}
    results: dict[str, list] = {k: [] for k in patterns}
    by_year: dict[str, list[list]] = {k: [] for k in patterns}
    natural = []
    new_alarms = []
    station_years = 0
    year_stations: list[int] = []
    t_run = []
    for y in range(args.years):
        lo = pl.datetime(2013 + y, 3, 1, time_zone="Asia/Shanghai").dt.convert_time_zone("UTC")
        hi = pl.datetime(2014 + y, 3, 1, time_zone="Asia/Shanghai").dt.convert_time_zone("UTC")
        year = data.filter((pl.col("time") >= lo) & (pl.col("time") < hi))
        t0 = time.perf_counter()
        clean = to_frame(detect_hourly(year, coords))
        t_run.append(time.perf_counter() - t0)
        natural.append(clean)
        year_stations.append(year["station"].n_unique())
        station_years += year_stations[-1]
        inj = Injector(year, coords, rng)
        for kind, count in patterns.items():
            for _ in range(count):
                getattr(inj, kind)()
        alarms = to_frame(detect_hourly(inj.frame(), coords))
        offsets, _ = match(alarms, inj.labels)
        for years in by_year.values():
            years.append([])
        for lab, off in zip(inj.labels, offsets):
            results[lab["kind"]].append(off)
            by_year[lab["kind"]][-1].append(off)
        new = alarms.join(clean, on=["station", "parameter", "start", "end", "detector"], how="anti")
        _, used_new = match(new, inj.labels)
        new_alarms.append(new.with_columns(matched=pl.Series(used_new)))
    nat = pl.concat(natural)
    print(f"Beijing {args.years} year(s), {station_years} station-years, seed {args.seed}; "
          f"detector run {np.mean(t_run):.1f} s per 12-station year")
    def rate(offs: list) -> float:
        return sum(o is not None for o in offs) / len(offs) if offs else float("nan")

    print(f"{'pattern':16} {'events':>6} {'recall':>7} {'target':>7}       {'per year':>16} {'onset h (median)':>17}")
    for kind, offs in results.items():
        hits = [o for o in offs if o is not None]
        recall = rate(offs)
        target = TARGETS.get(kind)
        mark = "" if target is None else (" ok" if recall >= target else " BELOW")
        years = " ".join(f"{rate(y):.2f}" for y in by_year[kind])
        print(f"{kind:16} {len(offs):6d} {recall:7.2f} {target if target else '-':>7}{mark:6} {years:>16} "
              f"{np.median(hits) if hits else float('nan'):10.0f}")
    new = pl.concat(new_alarms)
    print(f"precision (alarms not raised on clean data that hit an injection): {new['matched'].mean():.2f} "
          f"({new['matched'].sum()}/{new.height})")
    per = (nat.group_by("detector").len().join(
        new.group_by("detector").agg(new=pl.len(), precision=pl.col("matched").mean()), on="detector", how="full",
        coalesce=True).fill_null(0).sort("detector"))
    print(f"{'detector':16} {'natural/station-year':>21} {'new alarms':>11} {'precision':>10}")
    for det, n, n_new, p in per.select("detector", "len", "new", "precision").iter_rows():
        print(f"  {det:16} {n / station_years:19.2f} {n_new:11d} {p:10.2f}")
    print(f"  {'TOTAL':16} {nat.height / station_years:19.2f}   (target ≤ 2 natural alarms per station-year)")
    print("  natural alarms per station-year by year (each a hold-out for the others): "
          + " ".join(f"{c.height / n:.2f}" for c, n in zip(natural, year_stations)))


if __name__ == "__main__":
    main()
