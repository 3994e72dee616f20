"""Aggregates by GB 3095 Table 4: 24-h needs >= 20 hourly values, O3 8-h needs >= 6 of 8; revisions recompute."""

from __future__ import annotations

import pytest

from ecomon.ingest.files.importer import import_bytes
from ecomon.ingest.files.mapping import parse_mapping
from ecomon.store.aggregates import rebuild_dirty
from tests.foundation.helpers import ensure_registry

MAPPING = parse_mapping({
    "time": {"column": "time"},
    "station": {"column": "station"},
    "columns": {"pm25": "a34004", "o3": "a05024"},
})


def load(db, tmp_path, rows: list[str], name: str) -> None:
    text = "time,station,pm25,o3\n" + "".join(rows)
    import_bytes(db, text.encode(), name, MAPPING, user="test", archive_root=tmp_path, local_tz="Asia/Shanghai")
    rebuild_dirty(db, "Asia/Shanghai")
    db.commit()


def aggregate(db, parameter: str, kind: str, t: str) -> tuple | None:
    return db.execute(
        """SELECT round(a.value::numeric, 3)::float, a.n, a.expected, a.valid FROM aggregate a
           JOIN series s ON s.id = a.series_id JOIN site ON site.id = s.site_id
           WHERE site.code = 'Gucheng' AND s.parameter_code = %s AND a.kind = %s AND a.t = %s::timestamptz""",
        (parameter, kind, t)).fetchone()


@pytest.fixture()
def two_days(db, tmp_path):
    ensure_registry(db)
    rows = [f"2016-06-01 {h:02d}:00,Gucheng,{10 + h},{50 + h}\n" for h in range(20)]      # 20 hours
    rows += [f"2016-06-02 {h:02d}:00,Gucheng,{10 + h},\n" for h in range(19)]             # 19 hours
    load(db, tmp_path, rows, "two-days.csv")


def test_day_with_20_hours_is_valid_and_19_is_not(db, two_days):
    assert aggregate(db, "a34004", "day", "2016-06-01T00:00:00+08:00") == (19.5, 20, 24, True)
    assert aggregate(db, "a34004", "day", "2016-06-02T00:00:00+08:00") == (19.0, 19, 24, False)
    assert aggregate(db, "a34004", "day_max", "2016-06-01T00:00:00+08:00") == (29.0, 20, 24, True)


def test_ozone_8h_window_needs_6_hours(db, two_days):
    # Window ending 07:00 holds hours 00..07 (8 values); ending 21:00 holds 14..19 (6); 22:00 only 15..19.
    assert aggregate(db, "a05024", "o3_8h", "2016-06-01T07:00:00+08:00") == (53.5, 8, 8, True)
    assert aggregate(db, "a05024", "o3_8h", "2016-06-01T21:00:00+08:00") == (66.5, 6, 8, True)
    assert aggregate(db, "a05024", "o3_8h", "2016-06-01T22:00:00+08:00")[1:] == (5, 8, False)
    # 17 windows (ending 07..23 as hour labels); those ending 07..21 are valid: 15 >= 14.
    assert aggregate(db, "a05024", "o3_8h_max", "2016-06-01T00:00:00+08:00") == (66.5, 15, 17, True)


def test_late_data_recompute_the_day(db, two_days, tmp_path):
    load(db, tmp_path, ["2016-06-02 20:00,Gucheng,40,\n"], "late.csv")
    assert aggregate(db, "a34004", "day", "2016-06-02T00:00:00+08:00") == (20.05, 20, 24, True)
    month = aggregate(db, "a34004", "month", "2016-06-01T00:00:00+08:00")
    assert month[1:] == (2, 30, False)  # two valid days of 30: far below 27
