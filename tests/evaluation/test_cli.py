"""`ecomon evaluate run|compare` against the evaluation database."""

from __future__ import annotations

import io

import polars as pl
import pytest
from typer.testing import CliRunner

from ecomon.cli import app


@pytest.fixture()
def on_evaluation_db(evaluated, monkeypatch):
    from ecomon.config import reset_settings

    monkeypatch.setenv("ECOMON_DATABASE_URL", evaluated)
    reset_settings()
    yield
    reset_settings()


def test_run_stores_results_for_the_range(on_evaluation_db, db):
    result = CliRunner().invoke(app, ["evaluate", "run", "--from", "2013-03-10", "--to", "2013-03-11"])
    assert result.exit_code == 0, result.output
    assert "1,008 hourly and 42 daily AQI results" in result.output.replace("\n", " ")   # 21 places × 48 h
    bad = CliRunner().invoke(app, ["evaluate", "run", "--from", "2013-03-11", "--to", "2013-03-10"])
    assert bad.exit_code == 2 and "before it starts" in bad.output
    assert CliRunner().invoke(app, ["evaluate", "run", "--rule-set", "HJ633-2020"]).exit_code == 2


def test_compare_lists_both_good_day_rates(on_evaluation_db):
    result = CliRunner().invoke(app, ["evaluate", "compare", "--from", "2014-03-01", "--to", "2014-03-31",
                                      "--output", "csv"])
    assert result.exit_code == 0, result.output
    table = pl.read_csv(io.StringIO(result.stdout))
    city = table.filter(pl.col("place") == "110100 北京市").row(0, named=True)
    assert city["days"] == 31
    assert city["good_rate_2026"] <= city["good_rate_2012"]       # only the PM breakpoints tightened
    assert table.height == 12 + 8 + 1
