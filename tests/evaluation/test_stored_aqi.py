"""Stored AQI against the file engine on the same real inputs, rule-set selection, coverage and regions."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl
import pytest
from typer.testing import CliRunner

from ecomon.cli import app
from ecomon.evaluation import runner
from ecomon.standards import aqi
from ecomon.standards.air_validity import daily_values
from tests.evaluation.conftest import TZ, beijing_months

DAY = dt.date(2014, 3, 5)
ITEMS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")


def file_daily(day: dt.date) -> pl.DataFrame:
    """Daily values computed from the raw file by the engine's own path (air_validity, hour labels = start)."""
    rows = list(csv.DictReader(io.StringIO(beijing_months((f"{day.year},{day.month},{day.day},",)))))
    long = pl.DataFrame([
        {"station": r["station"], "time": dt.datetime(int(r["year"]), int(r["month"]), int(r["day"]), int(r["hour"])),
         "parameter": item,
         "value": None if r[item] == "NA" else float(r[item]) / (1000 if item == "CO" else 1)}
        for r in rows for item in ITEMS])
    return daily_values(long, time_marks="start").filter(pl.col("date") == day)


def stored(db, day: dt.date, period: str = "day", rule_set: str = "HJ633-2012") -> pl.DataFrame:
    rows = db.execute(
        """SELECT s.code, r.aqi, r.level, r.primary_pollutants, r.items_valid, r.items_expected, r.publishable
           FROM aqi_result r JOIN site s ON s.id = r.site_id
           WHERE r.period = %s AND r.rule_set = %s AND r.t = %s::date::timestamp AT TIME ZONE %s""",
        (period, rule_set, day, TZ)).fetchall()
    return pl.DataFrame(rows, schema=["station", "aqi", "level", "primary", "items_valid", "items_expected",
                                      "publishable"], orient="row")


def test_daily_aqi_equals_the_cli_engine_on_the_same_day(db, evaluated):
    daily = file_daily(DAY)
    text = daily.with_columns(pl.col("date").cast(pl.Utf8)).write_csv()
    result = CliRunner().invoke(app, ["eval", "aqi", "--standard", "HJ633-2012", "--period", "day", "-"], input=text)
    assert result.exit_code == 0, result.output
    cli = pl.read_csv(io.StringIO(result.stdout), infer_schema_length=0)
    ours = stored(db, DAY).rename({"aqi": "stored_aqi", "level": "stored_level", "primary": "stored_primary"})
    joined = cli.join(ours, on="station")
    assert joined.height == ours.height == 12
    for row in joined.iter_rows(named=True):
        assert int(row["AQI"]) == row["stored_aqi"], row
        assert int(row["level"]) == row["stored_level"], row
        assert set(filter(None, (row["primary"] or "").split(";"))) == set(row["stored_primary"]), row


def test_hourly_aqi_uses_24h_moving_means_under_the_2012_rules(db, evaluated):
    # Dongsi 2014-03-05 15:00 local: recompute the real-time inputs from the raw file and compare.
    rows = [r for r in csv.DictReader(io.StringIO(beijing_months(("2014,3,4,", "2014,3,5,"))))
            if r["station"] == "Dongsi"]
    def values(item: str) -> list[float]:
        return [float(r[item]) for r in rows if r[item] != "NA"]
    index = next(i for i, r in enumerate(rows) if r["day"] == "5" and r["hour"] == "15")
    window = rows[index - 23:index + 1]
    hour = {item: float(rows[index][item]) / (1000 if item == "CO" else 1) for item in ("SO2", "NO2", "CO", "O3")}
    for item in ("PM10", "PM2.5"):
        hour[f"{item}_24h"] = sum(float(r[item]) for r in window if r[item] != "NA") / sum(
            r[item] != "NA" for r in window)
    o3 = [float(r["O3"]) for r in rows[index - 7:index + 1] if r["O3"] != "NA"]
    hour["O3_8h"] = sum(o3) / len(o3)
    assert values("PM10")
    expected = aqi.compute({k: [v] for k, v in hour.items()}, standard="HJ633-2012", period="hour")
    got = db.execute(
        """SELECT r.aqi, r.items_valid, r.inputs FROM aqi_result r JOIN site s ON s.id = r.site_id
           WHERE s.code = 'Dongsi' AND r.period = 'hour' AND r.rule_set = 'HJ633-2012'
             AND r.t = '2014-03-05T15:00:00+08:00'""").fetchone()
    assert got[0] == int(expected.aqi[0])
    assert got[2]["PM2.5_24h"] == pytest.approx(hour["PM2.5_24h"], abs=1e-3)


def test_rule_set_follows_the_date_and_either_can_be_asked_for(db, evaluated):
    assert stored(db, DAY, rule_set="HJ633-2026").height == 0          # by date: 2012 rules only
    counts = runner.run(db, DAY, DAY, TZ, "HJ633-2026")
    assert counts.daily == 12 + 8 + 1       # stations, districts, the city
    old, new = stored(db, DAY), stored(db, DAY, rule_set="HJ633-2026")
    assert old.height == new.height == 12
    assert (new["items_expected"] == 6).all() and (old["items_expected"] == 7).all()   # 2026 drops the O3 1-h value
    # PM breakpoints only tightened (HJ 633-2026 Table 1): no day gets a lower AQI from PM alone.
    joined = old.join(new, on="station")
    assert (joined["aqi_right"] >= joined["aqi"] - 5).all()
    db.rollback()


def test_data_after_2026_03_01_use_the_2026_rules_by_default(db, tmp_path):
    from tests.foundation.helpers import run_import

    text = "year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station\n" + "".join(
        f"2026,{m},{d},{h},70,100,5,30,600,60,1,1020,-5,0,N,2,Tiantan\n" for m, d in ((2, 28), (3, 1))
        for h in range(24))
    run_import(db, text, tmp_path, "rule-change.csv")
    from ecomon.store.aggregates import rebuild_dirty
    rebuild_dirty(db, TZ)
    runner.run(db, dt.date(2026, 2, 28), dt.date(2026, 3, 1), TZ)
    feb, mar = stored(db, dt.date(2026, 2, 28)), stored(db, dt.date(2026, 3, 1), rule_set="HJ633-2026")
    # PM2.5 70 µg/m³: IAQI 94 under HJ 633-2012 (75 = 100) but 110 under HJ 633-2026 (60 = 100, 115 = 150).
    assert feb.filter(pl.col("station") == "Tiantan")["aqi"].item() == 94
    assert mar.filter(pl.col("station") == "Tiantan")["aqi"].item() == 110
    assert stored(db, dt.date(2026, 3, 1)).height == 0       # nothing under 2012 rules after the change
    db.rollback()


def test_city_and_districts_average_their_stations(db, evaluated):
    city = db.execute(
        """SELECT r.stations, r.inputs FROM aqi_result r WHERE r.region_code = '110100' AND r.period = 'day'
           AND r.t = %s::date::timestamp AT TIME ZONE %s""", (DAY, TZ)).fetchone()
    assert city[0] == 12
    means = db.execute(
        """SELECT avg((r.inputs->>'PM2.5')::float) FROM aqi_result r WHERE r.site_id IS NOT NULL AND r.period = 'day'
           AND r.t = %s::date::timestamp AT TIME ZONE %s""", (DAY, TZ)).fetchone()[0]
    assert city[1]["PM2.5"] == pytest.approx(means, abs=1e-3)
    district = db.execute(
        """SELECT r.stations FROM aqi_result r WHERE r.region_code = '110114' AND r.period = 'day'
           AND r.t = %s::date::timestamp AT TIME ZONE %s""", (DAY, TZ)).fetchone()
    assert district[0] == 2       # Changping and Dingling are both in 昌平区


def test_missing_items_lower_coverage_and_block_2026_publication(db, evaluated):
    # Dingling has no O3 on 2014-03-05 in the file (see the daily report); coverage says so.
    row = stored(db, DAY).filter(pl.col("station") == "Dingling").row(0, named=True)
    assert row["items_valid"] < row["items_expected"]
