"""File import (M2): real Beijing rows, unit conversions, flags, rejects with row numbers, idempotency."""

from __future__ import annotations

import pytest

from tests.foundation.helpers import beijing_lines, ensure_registry, run_import


def value(db, site: str, parameter: str, t: str) -> tuple[float, int]:
    return db.execute(
        """SELECT o.value, o.qc_flag FROM observation o JOIN series s ON s.id = o.series_id
           JOIN site ON site.id = s.site_id
           WHERE site.code = %s AND s.parameter_code = %s AND o.t = %s::timestamptz""",
        (site, parameter, t)).fetchone()


@pytest.fixture()
def slice_text() -> str:
    return "".join(beijing_lines(48))  # Aotizhongxin, 2013-03-01 00:00 .. 03-02 23:00 local


def test_beijing_rows_import_with_conversions(db, tmp_path, slice_text):
    ensure_registry(db)
    summary = run_import(db, slice_text, tmp_path, "conversions.csv")
    assert summary.status == "done" and summary.rows_total == 48 and summary.values_rejected == 0
    # First row: CO 300 µg/m³ -> 0.3 mg/m³; wind NNW -> 337.5°; PRES 1023 hPa -> 102.3 kPa; 00:00 +08 = 16:00Z.
    t = "2013-03-01T00:00:00+08:00"
    assert value(db, "Aotizhongxin", "a21005", t)[0] == pytest.approx(0.3)
    assert value(db, "Aotizhongxin", "a01008", t)[0] == 337.5
    assert value(db, "Aotizhongxin", "a01006", t)[0] == pytest.approx(102.3)
    assert value(db, "Aotizhongxin", "a34004", t) == (4.0, 2)
    lineage = db.execute(
        """SELECT o.channel, o.row_no, r.name, length(r.sha256) FROM observation o
           JOIN raw_input r ON r.id = o.source_id JOIN series s ON s.id = o.series_id
           WHERE s.parameter_code = 'a34004' AND o.t = %s::timestamptz""", (t,)).fetchone()
    assert lineage == ("file", 1, "conversions.csv", 64)


def test_same_file_twice_is_stored_once(db, tmp_path, slice_text):
    ensure_registry(db)
    first = run_import(db, slice_text, tmp_path, "twice.csv")
    count = db.execute("SELECT count(*) FROM observation").fetchone()[0]
    second = run_import(db, slice_text, tmp_path, "twice.csv")
    assert second.status == "skipped" and second.ingest_id == first.ingest_id
    assert db.execute("SELECT count(*) FROM observation").fetchone()[0] == count


def test_revised_value_keeps_the_old_one_in_history(db, tmp_path, slice_text):
    ensure_registry(db)
    run_import(db, slice_text, tmp_path, "original.csv")
    lines = slice_text.splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[4] = "5"  # PM2.5 of the first row: 4 -> 5
    revised = run_import(db, lines[0] + ",".join(cells), tmp_path, "revision.csv")
    assert revised.values_changed == 1
    t = "2013-03-01T00:00:00+08:00"
    assert value(db, "Aotizhongxin", "a34004", t)[0] == 5.0
    old = db.execute(
        """SELECT h.value, h.version FROM observation_history h JOIN series s ON s.id = h.series_id
           WHERE s.parameter_code = 'a34004' AND h.t = %s::timestamptz ORDER BY h.superseded_at DESC""",
        (t,)).fetchone()
    assert old == (4.0, 1)


def test_bad_rows_are_rejected_with_row_and_column_never_dropped(db, tmp_path):
    ensure_registry(db)
    header = "year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station\n"
    rows = [
        "2014,5,1,0,10,20,3,30,500,60,15,1010,2,0,N,1.5,Dongsi\n",        # 1 good
        "2014,5,1,1,abc,20,3,30,500,60,15,1010,2,0,N,1.5,Dongsi\n",       # 2 PM2.5 not a number
        "2014,5,1,2,10,-4,3,30,500,60,15,1010,2,0,N,1.5,Dongsi\n",        # 3 negative PM10
        "2014,2,30,3,10,20,3,30,500,60,15,1010,2,0,N,1.5,Dongsi\n",       # 4 Feb 30
        "2014,5,1,4,10,20,3,30,500,60,15,1010,2,0,N,1.5,Atlantis\n",      # 5 unknown station
        "2014,5,1,5,10,20,3,30,500,60,15,1010,2,0,XYZ,1.5,Dongsi\n",      # 6 bad compass text
        "2014,5,1,6,30,20,3,30,500,60,-3.5,1010,2,0,N,1.5,Dongsi\n",      # 7 PM2.5 > PM10: flagged; -3.5 °C fine
    ]
    summary = run_import(db, header + "".join(rows), tmp_path, "bad.csv")
    rejects = {(r["row_no"], r["column_name"]): r["reason"] for r in summary.rejects.iter_rows(named=True)}
    assert "not a number" in rejects[(2, "PM2.5")]
    assert "negative" in rejects[(3, "PM10")]
    assert "not a valid date" in rejects[(4, "year+month+day+hour")]
    assert "unknown station Atlantis" in rejects[(5, "station")]
    assert "compass16" in rejects[(6, "wd")]
    assert len(rejects) == 5 and summary.rows_rejected == 5
    # Everything else in the bad rows was kept: row 2 keeps its PM10, row 3 its PM2.5 ...
    assert value(db, "Dongsi", "a34002", "2014-05-01T01:00:00+08:00")[0] == 20.0
    assert value(db, "Dongsi", "a34004", "2014-05-01T02:00:00+08:00")[0] == 10.0
    assert value(db, "Dongsi", "a01001", "2014-05-01T06:00:00+08:00")[0] == -3.5
    assert value(db, "Dongsi", "a34004", "2014-05-01T06:00:00+08:00") == (30.0, 3)
    assert value(db, "Dongsi", "a34002", "2014-05-01T06:00:00+08:00") == (20.0, 3)
    stored = db.execute("SELECT count(*) FROM ingest_reject WHERE ingest_id = %s", (summary.ingest_id,)).fetchone()
    assert stored[0] == 5
    log = db.execute("SELECT status, rows_total, rows_rejected, values_flagged FROM ingest_log WHERE id = %s",
                     (summary.ingest_id,)).fetchone()
    assert log == ("done", 7, 5, 2)


def test_interrupted_import_rerun_ends_with_exactly_one_copy(db, tmp_path, slice_text, monkeypatch):
    from ecomon.ingest.files import importer

    ensure_registry(db)
    lines = slice_text.splitlines(keepends=True)
    text = lines[0] + "".join(line.replace("2013,3,", "2015,7,") for line in lines[1:])
    monkeypatch.setattr(importer, "CHUNK_VALUES", 100)
    calls = {"n": 0}
    real_merge = importer.observations.merge

    def dying_merge(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed half-way")
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(importer.observations, "merge", dying_merge)
    with pytest.raises(KeyboardInterrupt):
        run_import(db, text, tmp_path, "killed.csv")
    db.rollback()
    monkeypatch.setattr(importer.observations, "merge", real_merge)
    summary = run_import(db, text, tmp_path, "killed.csv")
    assert summary.status == "done"
    n = db.execute(
        """SELECT count(*), count(DISTINCT (o.series_id, o.t)) FROM observation o
           WHERE o.t >= '2015-07-01T00:00:00+08:00' AND o.t < '2015-07-03T00:00:00+08:00'""").fetchone()
    assert n[0] == n[1] == summary.values_accepted
    statuses = [s for (s,) in db.execute(
        """SELECT l.status FROM ingest_log l JOIN raw_input r ON r.id = l.raw_input_id
           WHERE r.name = 'killed.csv' ORDER BY l.id""").fetchall()]
    assert statuses == ["failed", "done"]
