"""Revised data reach the stored results: aggregates rebuilt → queued days → AQI and assessments recomputed."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import runner
from ecomon.store.aggregates import rebuild_dirty
from tests.evaluation.conftest import TZ
from tests.foundation.helpers import run_import

HEADER = "year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station\n"


def day_aqi(db, rule_set: str = "HJ633-2012") -> tuple:
    return db.execute(
        """SELECT r.aqi, r.primary_pollutants, r.computed_at FROM aqi_result r JOIN site s ON s.id = r.site_id
           WHERE s.code = 'Huairou' AND r.period = 'day' AND r.rule_set = %s
             AND r.t = '2014-03-20T00:00:00+08:00'""", (rule_set,)).fetchone()


def month_pm25(db) -> float:
    return db.execute(
        """SELECT (r.statistics->>'PM2.5')::float FROM air_assessment_result r JOIN site s ON s.id = r.site_id
           WHERE s.code = 'Huairou' AND r.period = 'month' AND r.period_start = '2014-03-01'
             AND r.rule_set = 'HJ633-2012'""").fetchone()[0]


def test_revision_recomputes_the_day_its_month_and_other_stored_rule_sets(db, evaluated, tmp_path):
    runner.run(db, dt.date(2014, 3, 20), dt.date(2014, 3, 20), TZ, "HJ633-2026")   # a user's re-evaluation
    db.execute("DELETE FROM evaluation_dirty")
    db.commit()
    before, before_2026, pm25_before = day_aqi(db), day_aqi(db, "HJ633-2026"), month_pm25(db)
    # A revised file: PM2.5 and PM10 of every hour of the day at Huairou set to 400 / 450 µg/m³.
    rows = "".join(f"2014,3,20,{h},400,450,10,40,1000,20,5,1020,-10,0,N,2,Huairou\n" for h in range(24))
    run_import(db, HEADER + rows, tmp_path, "revision.csv")
    rebuild_dirty(db, TZ)
    queued = db.execute("SELECT count(*) FROM evaluation_dirty").fetchone()[0]
    assert queued >= 1                      # the trigger on aggregate queued the revised day (and neighbours)
    counts = runner.process_dirty(db, TZ)
    db.commit()
    assert dt.date(2014, 3, 20) in counts.days
    after, after_2026 = day_aqi(db), day_aqi(db, "HJ633-2026")
    assert after[0] > before[0] and after[0] == 434   # PM2.5 400: 400 + 50/150·100 = 433.3 → 434 (HJ 633 Table 1)
    assert after[1] == ["PM2.5"]
    assert after_2026[2] > before_2026[2] and after_2026[0] == 434
    assert month_pm25(db) > pm25_before
    assert db.execute("SELECT count(*) FROM evaluation_dirty").fetchone()[0] == 0


def test_a_failed_pass_keeps_the_queue(db, evaluated):
    db.execute("INSERT INTO evaluation_dirty (site_id, day_start) SELECT id, '2014-03-21T00:00:00+08:00' FROM site "
               "WHERE code = 'Huairou'")
    db.commit()
    runner.process_dirty(db, TZ)
    db.rollback()                           # the pass fails before commit: the day stays queued
    assert db.execute("SELECT count(*) FROM evaluation_dirty").fetchone()[0] == 1
    runner.process_dirty(db, TZ)
    db.commit()
    assert db.execute("SELECT count(*) FROM evaluation_dirty").fetchone()[0] == 0
