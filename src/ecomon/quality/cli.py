"""`ecomon quality …`: run the falsification detectors on a long-format CSV and write the alarms.

Input: time,station,parameter,value (ISO 8601 with offset; missing values are absent rows). Output: one row per
alarm event, station,parameter,start,end,detector,score (inclusive interval, times in the input's offset).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ecomon.quality.detectors.catalogue import detect_hourly
from ecomon.quality.detectors.events import ALARM_COLUMNS, to_frame

quality_app = typer.Typer(help="数据质量与防造假 / data quality and anti-falsification.", no_args_is_help=True)

BUNDLED_SITES = Path(__file__).resolve().parents[3] / "data" / "beijing-air" / "sites.csv"
_OFFSET = re.compile(r"([+-]\d{2}):?(\d{2})$|Z$")


def read_series(path: Path) -> tuple[pl.DataFrame, str]:
    """Parse and check the input CSV; return the frame (UTC times) and the offset of its first time."""
    try:
        raw = pl.read_csv(path, schema_overrides={"time": pl.String, "station": pl.String,
                                                  "parameter": pl.String, "value": pl.String})
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValueError(f"{path}: cannot read as CSV ({exc})") from exc
    missing = [c for c in ("time", "station", "parameter", "value") if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; need time,station,parameter,value")
    if raw.height == 0:
        return raw.with_columns(pl.col("time").cast(pl.Datetime("us", "UTC")),
                                pl.col("value").cast(pl.Float64)), "+00:00"
    times = raw["time"].str.to_datetime(format="%Y-%m-%dT%H:%M:%S%#z", time_zone="UTC", strict=False)
    bad = times.is_null() & raw["time"].is_not_null() | raw["time"].is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise ValueError(f"{path} line {row + 2}: time {raw['time'][row]!r} is not ISO 8601 with an offset")
    values = raw["value"].cast(pl.Float64, strict=False)
    bad = values.is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise ValueError(f"{path} line {row + 2}: value {raw['value'][row]!r} is not a number")
    match = _OFFSET.search(raw["time"][0])
    offset = "+00:00" if match is None or match.group(0) == "Z" else f"{match.group(1)}:{match.group(2)}"
    return raw.with_columns(time=times, value=values), offset


def read_sites(path: Path) -> dict[str, tuple[float, float]]:
    """station → (lon, lat) from a CSV with columns station,lon,lat."""
    sites = pl.read_csv(path)
    for col in ("station", "lon", "lat"):
        if col not in sites.columns:
            raise ValueError(f"{path}: missing column {col}; need station,lon,lat")
    return {r["station"]: (float(r["lon"]), float(r["lat"])) for r in sites.iter_rows(named=True)}


def _iso(col: str, offset: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(offset).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")


@quality_app.command("detect")
def detect(
    input: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="time,station,parameter,value CSV")],
    output: Annotated[Path, typer.Option("--output", "-o", help="alarms CSV to write")],
    sites: Annotated[Path | None, typer.Option("--sites",
                                                help="station,lon,lat CSV (default: bundled Beijing sites)")] = None,
    evidence: Annotated[Path | None, typer.Option("--evidence",
                                                   help="write each alarm's evidence as JSON lines")] = None,
) -> None:
    """检测异常与造假数据 / detect abnormal and falsified data; one row per alarm event."""
    try:
        frame, offset = read_series(input)
        coords = read_sites(sites) if sites is not None else None
        stations = set(frame["station"].unique().to_list())
        if coords is None and BUNDLED_SITES.exists():
            bundled = read_sites(BUNDLED_SITES)
            if stations <= set(bundled):
                coords = bundled
        if coords is None or not stations <= set(coords):
            typer.echo("note: no coordinates for all stations; neighbour detectors skipped", err=True)
            coords = None
        events = detect_hourly(frame, coords)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    table = to_frame(events)
    out = table.with_columns(_iso("start", offset), _iso("end", offset)).select(ALARM_COLUMNS)
    with output.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ALARM_COLUMNS)
        writer.writerows(out.iter_rows())
    if evidence is not None:
        with evidence.open("w") as fh:
            for e in sorted(events, key=lambda e: (e.station, e.parameter, e.start, e.detector)):
                fh.write(json.dumps({"station": e.station, "parameter": e.parameter, "detector": e.detector,
                                     "start": str(e.start) + "Z", "end": str(e.end) + "Z", "score": e.score,
                                     "evidence": e.evidence, "series": e.series}, ensure_ascii=False) + "\n")
    typer.echo(f"{len(events)} alarm(s) → {output}", err=True)


def register(app: typer.Typer) -> None:
    """Attach `ecomon quality …` to the root app."""
    app.add_typer(quality_app, name="quality")
