"""`ecomon eval radiation`: gamma dose rate against the station baseline and the local background."""

import csv
import io

from typer.testing import CliRunner

from ecomon.cli import app

runner = CliRunner()


def rows(result):
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_investigation_level_and_background_from_options():
    result = runner.invoke(
        app,
        [
            "eval",
            "radiation",
            "--mean",
            "82",
            "--sd",
            "2",
            "--background-low",
            "60.2",
            "--background-high",
            "119.9",
            "-",
        ],
        input="station,dose_rate\nBJ,88\nBJ,88.1\nBJ,121\n",
    )
    assert [(r["investigation_level"], r["above_investigation"], r["background"]) for r in rows(result)] == [
        ("88.0", "false", "正常"),
        ("88.0", "true", "正常"),
        ("88.0", "true", "偏高"),
    ]


def test_baseline_from_the_input_per_station():
    result = runner.invoke(
        app,
        ["eval", "radiation", "--baseline-from-input", "-"],
        input="station,dose_rate\nA,80\nA,82\nA,84\n",
    )
    assert [r["investigation_level"] for r in rows(result)] == ["88.0"] * 3


def test_no_baseline_is_an_error():
    result = runner.invoke(app, ["eval", "radiation", "-"], input="dose_rate\n80\n")
    assert result.exit_code == 2 and "no baseline" in result.stderr
