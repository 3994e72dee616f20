"""HJ 633-2026 数据完整性: a pollutant outside a station's monitoring plan does not block AQI publication.
The plan comes from the registry: the site's `attrs.monitored_parameters`, else the station's hourly series."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import runner
from ecomon.store import aggregates

TZ = "Asia/Shanghai"
DAY = dt.date(2026, 4, 10)


def _pm_station(db) -> int:
    site = db.execute(
        """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
           VALUES ('PMONLY', '颗粒物站', 'air', 'urban', 'city', '110105', 'test') RETURNING id""").fetchone()[0]
    db.execute("SELECT ensure_observation_partitions('2026-04-01', '2026-04-30')")
    for code, value in (("a34004", 40.0), ("a34002", 60.0)):
        series = db.execute("""INSERT INTO series (site_id, parameter_code, interval_kind) VALUES (%s, %s, 'hour')
                               RETURNING id""", (site, code)).fetchone()[0]
        for hour in range(24):
            db.execute("""INSERT INTO observation (series_id, t, value, channel, source_id)
                          VALUES (%s, %s, %s, 'manual', 0)""", (series, f"{DAY}T{hour:02d}:00:00+08:00", value))
        db.execute("INSERT INTO aggregate_dirty (series_id, day) VALUES (%s, %s)", (series, DAY))
    aggregates.rebuild_dirty(db, TZ)
    return site


def _daily(db, site: int) -> tuple:
    return db.execute(
        """SELECT aqi, items_valid, items_expected, publishable FROM aqi_result WHERE site_id = %s AND period = 'day'
           AND rule_set = 'HJ633-2026' AND t = %s::date::timestamp AT TIME ZONE %s""", (site, DAY, TZ)).fetchone()


def _district(db) -> tuple:
    return db.execute(
        """SELECT items_expected, publishable FROM aqi_result WHERE region_code = '110105' AND period = 'day'
           AND rule_set = 'HJ633-2026' AND t = %s::date::timestamp AT TIME ZONE %s""", (DAY, TZ)).fetchone()


def test_unmonitored_items_are_exempt_and_the_registry_plan_decides(db, evaluation_url):
    site = _pm_station(db)
    runner.run(db, DAY, DAY, TZ, site_ids=[site])
    # PM2.5 40 µg/m³ → IAQI 60 under HJ 633-2026: AQI <= 100, yet publishable as both monitored items are valid.
    assert _daily(db, site) == (60, 2, 2, True)
    assert _district(db) == (2, True)
    # The registry now lists SO2 in the plan: SO2 is missing, the AQI (<= 100) may no longer be published.
    db.execute("""UPDATE site SET attrs = jsonb_build_object('monitored_parameters',
                  jsonb_build_array('a34004', 'a34002', 'a21026')) WHERE id = %s""", (site,))
    runner.run(db, DAY, DAY, TZ, site_ids=[site])
    assert _daily(db, site) == (60, 2, 3, False)
    assert _district(db) == (3, False)
    db.rollback()
