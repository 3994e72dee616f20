"""HJ 663 exception for the O3 daily maximum 8-h mean in the stored aggregates: a day with fewer than 14 valid
windows still counts when the maximum found already exceeds the GB 3095 grade-2 limit (160 µg/m³)."""

from __future__ import annotations

from ecomon.store import aggregates

TZ = "Asia/Shanghai"


def _o3_day(db, code: str, value: float) -> int:
    site = db.execute(
        """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
           VALUES (%s, %s, 'air', 'urban', 'city', '110105', 'test') RETURNING id""", (code, code)).fetchone()[0]
    series = db.execute("""INSERT INTO series (site_id, parameter_code, interval_kind) VALUES (%s, 'a05024', 'hour')
                           RETURNING id""", (site,)).fetchone()[0]
    db.execute("SELECT ensure_observation_partitions('2015-07-01', '2015-07-31')")
    # Hours 12..19 only: windows ending 17..21 hold >= 6 of them, so 5 valid windows of 17.
    for hour in range(12, 20):
        db.execute("""INSERT INTO observation (series_id, t, value, channel, source_id)
                      VALUES (%s, %s, %s, 'manual', 0)""", (series, f"2015-07-10T{hour:02d}:00:00+08:00", value))
    db.execute("INSERT INTO aggregate_dirty (series_id, day) VALUES (%s, '2015-07-10')", (series,))
    return series


def _o3_8h_max(db, series: int) -> tuple:
    return db.execute("""SELECT value, n, expected, valid FROM aggregate WHERE series_id = %s AND kind = 'o3_8h_max'
                         AND t = '2015-07-10T00:00:00+08:00'""", (series,)).fetchone()


def test_few_windows_count_only_when_the_maximum_already_exceeds(db, evaluation_url):
    high, low = _o3_day(db, "O3HIGH", 200.0), _o3_day(db, "O3LOW", 100.0)
    aggregates.rebuild_dirty(db, TZ)
    assert _o3_8h_max(db, high) == (200.0, 5, 17, True)
    assert _o3_8h_max(db, low) == (100.0, 5, 17, False)
    db.rollback()
