"""`ecomon quality detect` contract: header, one row per event, inclusive interval in the input offset, exit codes;
and the runtime bound on a year of 12 stations."""

import csv
import json
import time

import polars as pl
from typer.testing import CliRunner

from ecomon.cli import app

HEADER = ["station", "parameter", "start", "end", "detector", "score"]
runner = CliRunner()


def write_series(path, rows):
    path.write_text("time,station,parameter,value\n" + "".join(f"{t},{s},{p},{v}\n" for t, s, p, v in rows))


def contract_series(path):
    """The shape check's own example: 72 h of Dongsi PM2.5 with a 12-hour constant 40 from hour 30."""
    write_series(path, [(f"2016-03-{1 + h // 24:02d}T{h % 24:02d}:00:00+08:00", "Dongsi", "PM2.5",
                         40 if 30 <= h < 42 else 20 + h % 7 * 3) for h in range(72)])


def read_alarms(path):
    with path.open() as fh:
        return list(csv.reader(fh))


def test_header_and_one_row_per_event_with_inclusive_interval(tmp_path):
    contract_series(tmp_path / "in.csv")
    result = runner.invoke(app, ["quality", "detect", str(tmp_path / "in.csv"), "--output", str(tmp_path / "a.csv"),
                                 "--evidence", str(tmp_path / "ev.jsonl")])
    assert result.exit_code == 0, result.output
    rows = read_alarms(tmp_path / "a.csv")
    assert rows[0] == HEADER
    flat = [r for r in rows[1:] if r[4] == "flat"]
    assert flat == [["Dongsi", "PM2.5", "2016-03-02T06:00:00+08:00", "2016-03-02T17:00:00+08:00", "flat",
                     flat[0][5]]]
    assert 0.5 <= float(flat[0][5]) <= 1
    evidence = [json.loads(line) for line in (tmp_path / "ev.jsonl").read_text().splitlines()]
    assert len(evidence) == len(rows) - 1
    assert evidence[0]["evidence"]["run_hours"] == 12 and evidence[0]["series"]["value"]


def test_header_even_without_alarms_and_note_for_unknown_stations(tmp_path):
    write_series(tmp_path / "in.csv", [(f"2016-03-01T{h:02d}:00:00Z", "X1", "NO2", 10 + h) for h in range(10)])
    result = runner.invoke(app, ["quality", "detect", str(tmp_path / "in.csv"), "--output", str(tmp_path / "a.csv")])
    assert result.exit_code == 0
    assert read_alarms(tmp_path / "a.csv") == [HEADER]
    assert "neighbour detectors skipped" in result.stderr


def test_bad_time_is_a_clear_error_with_the_line(tmp_path):
    write_series(tmp_path / "in.csv", [("2016-03-01T00:00:00+08:00", "Dongsi", "PM2.5", 1),
                                       ("2016-03-01 01:00", "Dongsi", "PM2.5", 2)])
    result = runner.invoke(app, ["quality", "detect", str(tmp_path / "in.csv"), "--output", str(tmp_path / "a.csv")])
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "ISO 8601" in result.stderr


def test_year_of_twelve_stations_runs_well_under_20_seconds(tmp_path, beijing):
    lo = pl.datetime(2015, 3, 1, time_zone="Asia/Shanghai").dt.convert_time_zone("UTC")
    year = (beijing.filter(pl.col("time") >= lo)
            .with_columns(time=pl.col("time").dt.convert_time_zone("Asia/Shanghai")
                          .dt.strftime("%Y-%m-%dT%H:%M:%S%:z")))
    year.write_csv(tmp_path / "year.csv")
    t0 = time.perf_counter()
    result = runner.invoke(app, ["quality", "detect", str(tmp_path / "year.csv"), "--output", str(tmp_path / "a.csv")])
    elapsed = time.perf_counter() - t0
    print(f"quality detect: {year.height} rows, {elapsed:.1f} s")
    assert result.exit_code == 0
    assert year.height > 600_000 and elapsed < 60
