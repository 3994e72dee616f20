"""`ecomon eval aqi`: the public CSV contract."""

import csv
import io

import pytest
import typer
from typer.testing import CliRunner

from ecomon.standards import cli_air

app = typer.Typer()
app.callback()(lambda: None)  # a group, as under the root `ecomon` command
eval_app = typer.Typer()
cli_air.register(eval_app)
app.add_typer(eval_app, name="eval")
runner = CliRunner()
CONTRACT_INPUT = "id,SO2,NO2,PM10,PM2.5,CO,O3_8h\n1,65,,,35,,\n2,,,,35,,\n"


def run(standard, period, text, *extra):
    return runner.invoke(app, ["eval", "aqi", "--standard", standard, "--period", period, *extra, "-"], input=text)


def rows(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.mark.parametrize("standard", ["HJ633-2012", "HJ633-2026"])
def test_contract_example_so2_65_and_pm25_35(standard):
    result = run(standard, "day", CONTRACT_INPUT)
    assert result.exit_code == 0, result.stderr
    first, second = rows(result)
    assert (first["AQI"], first["level"], first["category"], first["primary"]) == ("58", "2", "良", "SO2")
    assert (second["AQI"], second["level"], second["primary"]) == ("50", "1", "")
    assert first["IAQI_SO2"] == "58" and first["IAQI_NO2"] == "NA"


def test_output_columns_in_order_and_input_passed_through():
    result = run("HJ633-2026", "day", "station,time,PM2.5,note\nDongsi,2026-03-01,61,\"a, b\"\n")
    header = result.stdout.splitlines()[0]
    assert header == "station,time,PM2.5,note,IAQI_PM2.5,AQI,level,category,primary,publish"
    row = rows(result)[0]
    assert (row["station"], row["time"], row["PM2.5"], row["note"]) == ("Dongsi", "2026-03-01", "61", "a, b")
    assert (row["AQI"], row["level"], row["category"], row["primary"], row["publish"]) == (
        "101", "3", "轻度污染", "PM2.5", "true")


def test_2012_adds_exceeding_pollutants():
    row = rows(run("HJ633-2012", "day", "PM10,PM2.5\n160,80\n"))[0]
    assert row["exceeding"] == "PM10;PM2.5" and row["primary"] == "PM2.5"


def test_row_without_any_value_has_aqi_na():
    row = rows(run("HJ633-2026", "hour", "id,SO2,PM2.5\n1,,\n"))[0]
    assert (row["AQI"], row["level"], row["category"], row["publish"]) == ("NA", "", "", "false")


def test_2012_hour_reads_pm25_24h_and_notes_the_unused_column():
    result = run("HJ633-2012", "hour", "PM2.5,PM2.5_24h\n300,75\n")
    assert rows(result)[0]["AQI"] == "100" and "IAQI_PM2.5_24h" in result.stdout
    assert "PM2.5 not used" in result.stderr


def test_details_adds_colour_and_advice():
    row = rows(run("HJ633-2026", "day", "PM2.5\n200\n", "--details"))[0]
    assert row["colour"] == "#99004C" and row["category_en"] == "Heavily polluted"
    assert row["sensitive_groups"].startswith("心血管或呼吸系统疾病患者")


def test_non_numeric_value_exits_2_naming_row_and_column():
    result = run("HJ633-2026", "day", "id,PM2.5\n1,30\n2,30\n3,abc\n")
    assert result.exit_code == 2
    assert "row 3, column PM2.5: 'abc' is not a number" in result.stderr


def test_negative_concentration_exits_2():
    result = run("HJ633-2012", "day", "SO2\n-1\n")
    assert result.exit_code == 2 and "row 1, column SO2" in result.stderr and "negative" in result.stderr


def test_no_pollutant_column_exits_2():
    result = run("HJ633-2026", "day", "id,station\n1,x\n")
    assert result.exit_code == 2 and "no pollutant column" in result.stderr


def test_pollutants_that_do_not_feed_this_report_exit_2():
    result = run("HJ633-2026", "day", "O3\n100\n")
    assert result.exit_code == 2 and "feeds the HJ633-2026 day AQI" in result.stderr


def test_unknown_standard_is_a_usage_error():
    assert run("HJ633-2099", "day", CONTRACT_INPUT).exit_code == 2
