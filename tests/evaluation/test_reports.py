"""Reports open as spreadsheets and web pages and carry the stored results, titles, units and rule set."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest
from typer.testing import CliRunner

from ecomon.cli import app
from ecomon.evaluation.compare import compare_daily, summarise
from ecomon.reports import catalogue
from ecomon.reports.fetch import run_sync
from ecomon.reports.model import FULL_ACCESS
from ecomon.reports.render import render


def report(db, kind: str, **params: str):
    prepared = catalogue.prepare(kind, params, "Asia/Shanghai", FULL_ACCESS)
    return prepared.build(run_sync(db, prepared.queries))


def sheet(content: bytes) -> list[list[str]]:
    frame = pl.read_excel(io.BytesIO(content), engine="calamine", has_header=False, infer_schema_length=0)
    return [["" if v is None else str(v) for v in row] for row in frame.iter_rows()]


def test_daily_report_xlsx_holds_every_station_and_the_city(db, evaluated):
    built = report(db, "daily", date="2014-03-05")
    rows = sheet(render(built, "xlsx"))
    assert rows[0][0] == "环境空气质量日报"
    assert "HJ633-2012" in rows[1][0]
    names = [r[0] for r in rows]
    assert "北京市" in names and "奥体中心" in names and "万寿西宫" in names
    aqi_col = next(r for r in rows if r[0] == "监测点位" or r[0].startswith("监测点位")).index("AQI")
    stored = db.execute(
        """SELECT r.aqi FROM aqi_result r JOIN site s ON s.id = r.site_id WHERE s.code = 'Aotizhongxin'
           AND r.period = 'day' AND r.t = '2014-03-05T00:00:00+08:00'""").fetchone()[0]
    assert float(next(r for r in rows if r[0] == "奥体中心")[aqi_col]) == stored
    assert any("HJ 633-2012" in r[0] for r in rows)        # the footnote names the rule set


def test_monthly_report_ranks_and_compares_with_last_year(db, evaluated):
    built = report(db, "monthly-air", month="2014-03")
    city, districts, stations = built.tables
    assert len(city.rows) == 1 and len(districts.rows) == 8 and len(stations.rows) == 12
    ranks = [r["rank"] for r in stations.rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    composites = [r["composite"] for r in stations.rows]
    assert composites == sorted(composites)
    assert city.rows[0]["composite_change"] is not None and city.rows[0]["good_rate_change"] is not None
    html = render(built, "html").decode()
    assert "<h1>环境空气质量月报</h1>" in html and "综合指数" in html and "μg/m³" in html
    rows = sheet(render(built, "xlsx"))
    assert rows[0][0] == "环境空气质量月报"


def test_water_and_source_reports_render_without_data(db, evaluated):
    for kind, params in (("water", {"month": "2014-03"}), ("source", {"from": "2014-03-01", "to": "2014-03-31"})):
        built = report(db, kind, **params)
        assert built.tables[0].rows == []
        assert "无数据" in render(built, "html").decode()
        assert sheet(render(built, "xlsx"))[0][0] == built.title


def test_report_parameters_are_checked():
    with pytest.raises(ValueError, match="unknown report kind"):
        catalogue.prepare("weekly", {}, "Asia/Shanghai", FULL_ACCESS)
    with pytest.raises(ValueError, match="month must be YYYY-MM"):
        catalogue.prepare("monthly-air", {"month": "2014-13"}, "Asia/Shanghai", FULL_ACCESS)
    with pytest.raises(ValueError, match="needs date"):
        catalogue.prepare("daily", {}, "Asia/Shanghai", FULL_ACCESS)
    with pytest.raises(ValueError, match="unknown AQI rule set"):
        catalogue.prepare("daily", {"date": "2014-03-05", "rule_set": "HJ633-2020"}, "Asia/Shanghai", FULL_ACCESS)


def test_report_cli_writes_files(evaluated, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMON_DATABASE_URL", evaluated)
    from ecomon.config import reset_settings

    reset_settings()
    out = tmp_path / "daily.html"
    result = CliRunner().invoke(app, ["report", "daily", "--date", "2014-03-05", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "奥体中心" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "daily", "--date", "2014-3-5", "-o", str(out)])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    reset_settings()


def test_compare_counts_level_changes_between_rule_sets():
    # PM2.5 70 µg/m³: 2012 level 2 (IAQI 94), 2026 level 3 (IAQI 110); PM2.5 30: level 1 under both.
    daily = pl.DataFrame({
        "site_id": [1, 1], "date": [dt.date(2015, 1, 1), dt.date(2015, 1, 2)],
        "SO2": [5.0, 5.0], "NO2": [20.0, 20.0], "CO": [0.5, 0.5], "PM10": [40.0, 40.0], "PM2.5": [70.0, 30.0],
        "O3": [50.0, 50.0], "O3_8h": [40.0, 40.0]})
    stations = pl.DataFrame({"site_id": [1], "district": ["110101"], "city": ["110100"]})
    summary = summarise(compare_daily(daily, stations)).filter(pl.col("station") == "site:1").row(0, named=True)
    assert summary["days"] == 2 and summary["changed_days"] == 1 and summary["worse_days"] == 1
    assert summary["good_rate_2012"] == 100.0 and summary["good_rate_2026"] == 50.0
