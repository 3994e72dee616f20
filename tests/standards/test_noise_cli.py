"""`ecomon eval noise`: GB 3096-2008 zone compliance and HJ 640-2012 grades on CSV rows."""

import csv
import io

import pytest
from typer.testing import CliRunner

from ecomon.cli import app

runner = CliRunner()


def run(text, *options):
    return runner.invoke(app, ["eval", "noise", *options, "-"], input=text)


def rows(result):
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_zone_2_day_60_night_50_with_period_from_time():
    text = "site,time,zone,Leq\nA,2024-05-01T21:00:00+08:00,2,60.0\nA,2024-05-01T22:00:00+08:00,2,50.1\n"
    day, night = rows(run(text))
    assert (day["period"], day["limit"], day["compliant"], day["exceed_dB"]) == ("day", "60", "true", "0.0")
    assert (night["period"], night["limit"], night["compliant"], night["exceed_dB"]) == (
        "night",
        "50",
        "false",
        "0.1",
    )


def test_period_column_option_zone_and_night_lmax():
    text = "period,Leq,Lmax\n夜间,40,55\nnight,40,55.1\nday,40,90\n"
    first, second, third = rows(run(text, "--zone", "0"))
    assert [r["Lmax_compliant"] for r in (first, second, third)] == ["true", "false", ""]
    assert first["limit"] == "40" and third["limit"] == "50"


def test_hj640_road_grades():
    result = rows(run("Leq\n68.0\n68.1\n74.1\n", "--period", "day", "--grade", "road"))
    assert [(r["grade"], r["grade_word"]) for r in result] == [
        ("一级", "好"),
        ("二级", "较好"),
        ("五级", "差"),
    ]
    assert "limit" not in result[0]


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("zone,Leq\n2,loud\n", ("--period", "day"), "row 1, column Leq"),
        ("zone,Leq\n9,50\n", ("--period", "day"), "row 1, column zone"),
        ("zone,Leq\n2,50\n", (), "--period"),
        ("Leq\n50\n", ("--period", "day"), "nothing to evaluate"),
        ("zone,hour,Leq\n2,25,50\n", (), "row 1, column hour"),
    ],
)
def test_bad_input_exits_2_with_row_and_column(text, options, message):
    result = run(text, *options)
    assert result.exit_code == 2 and message in result.stderr
