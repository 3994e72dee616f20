"""`ecomon eval air-assessment` on small CSV inputs."""

import csv
import datetime as dt
import io

import typer
from typer.testing import CliRunner

from ecomon.standards import cli_air

app = typer.Typer()
app.callback()(lambda: None)
eval_app = typer.Typer()
cli_air.register(eval_app)
app.add_typer(eval_app, name="eval")
runner = CliRunner()


def long_month(station="A", pm25=30):
    lines = ["station,time,parameter,value"]
    start = dt.datetime(2015, 3, 1, 1)
    for h in range(31 * 24):
        t = (start + dt.timedelta(hours=h)).isoformat(timespec="minutes")
        for parameter, value in (("PM2.5", pm25), ("SO2", 10), ("O3", 80)):
            lines.append(f"{station},{t},{parameter},{value}")
    return "\n".join(lines) + "\n"


def invoke(text, *options):
    return runner.invoke(app, ["eval", "air-assessment", *options, "-"], input=text)


def test_long_hourly_input_month_statistics():
    result = invoke(long_month(), "--period", "month")
    assert result.exit_code == 0, result.stderr
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert (row["station"], row["period"], row["PM2.5"], row["PM2.5_days"], row["PM2.5_valid"]) == (
        "A", "2015-03", "30.0", "31", "true")
    assert row["O3_8h_p90"] == "80.0" and row["limits"] == "GB3095-2012"
    assert row["composite"] == "" and row["rank"] == ""  # NO2, CO, PM10 not measured: no index


def test_by_all_aggregates_stations():
    text = long_month("A", 20) + long_month("B", 40).split("\n", 1)[1]
    row = next(csv.DictReader(io.StringIO(invoke(text, "--period", "month", "--by", "all").stdout)))
    assert row["all"] == "all" and row["PM2.5"] == "30.0"


def test_daily_input():
    text = "station,date,PM2.5,O3_8h\n" + "".join(f"A,2015-02-{d:02d},40,100\n" for d in range(1, 26))
    row = next(csv.DictReader(io.StringIO(invoke(text, "--input", "day", "--period", "month").stdout)))
    assert row["PM2.5_valid"] == "true" and row["PM2.5_days"] == "25"


def test_bad_value_exits_2_with_row_and_column():
    result = invoke("station,time,parameter,value\nA,2015-03-01T01:00,PM2.5,abc\n")
    assert result.exit_code == 2 and "row 1, column value: 'abc' is not a number" in result.stderr


def test_bad_time_exits_2():
    result = invoke("station,time,SO2\nA,2015-03-01T01:00,1\nA,later,2\n")
    assert result.exit_code == 2 and "row 2, column time" in result.stderr


def test_unknown_limit_set_is_a_usage_error():
    assert invoke(long_month(), "--standard", "GB3095-1996").exit_code == 2
