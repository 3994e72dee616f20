"""`ecomon eval source`: flue-gas hours and days against GB 13271-2014 / GB 13223-2011 limits."""

import csv
import io

from typer.testing import CliRunner

from ecomon.cli import app

runner = CliRunner()
HOURS = (
    "outlet,time,SO2,O2,flow,flag,valid_minutes\n"
    + "".join(f"P1,2024-01-01T{h:02d}:00,240,13,10000,N,60\n" for h in range(20))
    + "P1,2024-01-01T20:00,240,13,10000,D,60\n"
    + "P1,2024-01-01T21:00,240,13,10000,N,44\n"
    + "P2,2024-01-01T00:00,100,9,5000,N,60\n"
)


def run(text, *options):
    return runner.invoke(
        app,
        ["eval", "source", "--standard", "GB13271-2014", "--category", "coal-new", *options, "-"],
        input=text,
    )


def rows(result):
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_hourly_conversion_to_9_percent_o2_exceedance_validity_and_load():
    result = rows(run(HOURS))
    first, faulty, short, p2 = result[0], result[20], result[21], result[22]
    # 240 mg/m³ at 13 % O2 → 240·12/8 = 360 > 300 (new coal boiler): multiple 0.20; load 240e-6·10000 = 2.4 kg
    assert (first["SO2_ref"], first["valid"], first["exceeding"], first["SO2_load_kg"]) == (
        "360.000",
        "true",
        "SO2:0.20",
        "2.400000",
    )
    assert (faulty["valid"], faulty["exceeding"], faulty["SO2_load_kg"]) == ("false", "", "")
    assert short["valid"] == "false"
    assert (p2["SO2_ref"], p2["exceeding"]) == ("100.000", "")


def test_daily_mean_of_valid_hours_per_outlet():
    p1, p2 = rows(run(HOURS, "--period", "day"))
    assert (p1["outlet"], p1["date"], p1["valid_hours"], p1["day_valid"]) == (
        "P1",
        "2024-01-01",
        "20",
        "true",
    )
    assert (p1["SO2_ref"], p1["exceeding"], p1["SO2_load_kg"]) == ("360.000", "SO2:0.20", "48.000000")
    assert (p2["valid_hours"], p2["day_valid"], p2["exceeding"]) == ("1", "false", "")


def test_already_converted_values_and_hj212_codes():
    result = rows(run("a21026,a34013\n310,60\n", "--converted"))
    assert result[0]["exceeding"] == "PM:0.20;SO2:0.03"  # limits PM 50, SO2 300


def test_bad_input():
    assert "O2 column is needed" in run("SO2\n100\n").stderr
    result = run("SO2,O2\n100,21\n")
    assert result.exit_code == 2 and "row 1, column O2" in result.stderr
    result = run("SO2,O2,flag\n100,9,Q\n")
    assert result.exit_code == 2 and "row 1, column flag" in result.stderr
    assert (
        runner.invoke(
            app, ["eval", "source", "--standard", "GB13271-2014", "--category", "coal", "-"]
        ).exit_code
        == 2
    )
