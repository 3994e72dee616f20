"""Functional-zone noise compliance (GB 3096-2008) and gamma dose rates against baseline and background, from
stored hourly data."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ecomon.evaluation import gamma_stations, noise_zones

TZ = "Asia/Shanghai"


def _station(db, code: str, element: str, site_type: str, attrs: dict, parameter: str,
             values: list[tuple[str, float]]) -> None:
    site = db.execute(
        """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, attrs, updated_by)
           VALUES (%s, %s, %s, %s, 'city', '110105', %s, 'test') RETURNING id""",
        (code, code, element, site_type, json.dumps(attrs))).fetchone()[0]
    series = db.execute("""INSERT INTO series (site_id, parameter_code, interval_kind) VALUES (%s, %s, 'hour')
                           RETURNING id""", (site, parameter)).fetchone()[0]
    with db.cursor() as cur:
        cur.executemany("""INSERT INTO observation (series_id, t, value, channel, source_id)
                           VALUES (%s, %s, %s, 'manual', 0)""", [(series, t, v) for t, v in values])


def test_noise_day_and_night_against_the_zone_limits(db, evaluation_url):
    db.execute("SELECT ensure_observation_partitions('2015-08-01', '2015-08-31')")
    hours = [(f"2015-08-03T{h:02d}:00:00+08:00", 50.0) for h in range(6, 24)]          # day 06–21 and 22, 23
    hours += [(f"2015-08-04T{h:02d}:00:00+08:00", 40.0) for h in range(6)]             # rest of the night
    hours += [(f"2015-08-04T{h:02d}:00:00+08:00", 58.0) for h in range(6, 10)]         # 4 day hours: incomplete
    _station(db, "NZ1", "noise", "functional_zone", {"zone": "1"}, "Leq", hours)
    sql, args = noise_zones.hourly_query(dt.date(2015, 8, 3), dt.date(2015, 8, 4), TZ, "true", [])
    levels = noise_zones.period_levels(db.execute(sql, args).fetchall())
    rows = {(r["day"].isoformat(), r["period"]): r for r in levels.to_dicts()}
    day = rows[("2015-08-03", "day")]
    assert (day["leq"], day["hours"], day["complete"], day["limit"], day["compliant"]) == (50.0, 16, True, 55.0, True)
    # Night: 2 h at 50 and 6 h at 40 dB → 10·lg((2·10^5 + 6·10^4)/8) = 45.1 > 45 (zone 1 night limit).
    night = rows[("2015-08-03", "night")]
    assert (night["leq"], night["hours"], night["exceedance"], night["compliant"]) == (45.1, 8, 0.1, False)
    late = rows[("2015-08-04", "day")]
    assert (late["hours"], late["complete"], late["compliant"]) == (4, False, False)
    summary = noise_zones.compliance(levels).to_dicts()[0]
    assert (summary["day_periods"], summary["day_rate"], summary["night_periods"], summary["night_rate"]) == (
        1, 100.0, 1, 0.0)
    assert (summary["day_leq"], summary["night_leq"]) == (50.0, 45.1)
    db.rollback()


def test_gamma_dose_rate_against_its_baseline_and_the_background(db, evaluation_url):
    db.execute("SELECT ensure_observation_partitions('2015-06-01', '2015-08-31')")
    start = dt.datetime(2015, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    history = [((start + dt.timedelta(hours=i)).isoformat(), 80.0 if i % 2 else 90.0) for i in range(240)]
    period = [(f"2015-08-01T{h:02d}:00:00+08:00", 120.0 if h == 12 else 88.0) for h in range(24)]
    _station(db, "GM1", "radiation", "gamma", {"background_low": 60.2, "background_high": 119.9}, "x02001",
             history + period)
    sql, args = gamma_stations.hourly_query(dt.date(2015, 8, 1), dt.date(2015, 8, 1), TZ, "true", [])
    row = gamma_stations.station_summary(db.execute(sql, args).fetchall()).to_dicts()[0]
    assert (row["readings"], row["mean"], row["max"]) == (24, 89.3, 120.0)
    # Baseline: 240 readings alternating 80/90 → mean 85, sd 5.01; investigation level 85 + 3·5.01 = 100.0.
    assert (row["baseline_readings"], row["baseline_mean"], row["investigation_level"]) == (240, 85.0, 100.0)
    assert row["baseline_sd"] == pytest.approx(5.01, abs=0.01)
    assert (row["above_investigation"], row["background_verdict"]) == (1, "正常")
    db.rollback()


def test_noise_and_radiation_api(api):
    client, headers = api
    for route in ("/api/v1/noise/zones", "/api/v1/radiation/gamma"):
        answer = client.get(route, params={"from": "2015-08-01", "to": "2015-08-31"}, headers=headers["admin"])
        assert answer.status_code == 200 and answer.json()["meta"]["found"] == len(answer.json()["results"])
        assert client.get(route, params={"from": "2015-08-31", "to": "2015-08-01"},
                          headers=headers["admin"]).status_code == 422
    detail = client.get("/api/v1/noise/zones", params={"from": "2015-08-01", "to": "2015-08-02", "detail": "true"},
                        headers=headers["admin"])
    assert detail.status_code == 200 and "periods" in detail.json()
