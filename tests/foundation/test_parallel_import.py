"""Bulk import on two loaders: months in parallel, one copy of every value, the loader-written audit records
and day states agree with the stored rows, a failing loader stops the import and a re-run completes it; and
duplicates in a wide file are still rejected when the cheap row check finds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ecomon.ingest.files import importer
from ecomon.quality import audit_data
from ecomon.store.batch_audit import digests
from ecomon.store.observations import batch_digest
from tests.foundation.helpers import beijing_lines, ensure_registry, run_import

HOURS_PER_STATION = 35_064   # rows of each station in the real file


def shifted(year: int, hours: int) -> str:
    """The first `hours` rows of Aotizhongxin (from 2013-03-01), moved to `year` (2013 → year, 2014 → year+1)."""
    lines = beijing_lines(hours)
    body = [f"{int(line[:4]) - 2013 + year}{line[4:]}" for line in lines[1:]]
    return lines[0] + "".join(body)


def rows_in(db, start: str, end: str) -> tuple[int, int]:
    return db.execute(
        """SELECT count(*), count(DISTINCT (series_id, t)) FROM observation o JOIN series s ON s.id = o.series_id
           JOIN site ON site.id = s.site_id WHERE site.code = 'Aotizhongxin' AND o.t >= %s AND o.t < %s""",
        (start, end)).fetchone()


def test_months_load_in_parallel_with_one_copy_and_verified_audit(db, tmp_path, monkeypatch):
    ensure_registry(db)
    monkeypatch.setattr(importer, "CHUNK_VALUES", 3_000)        # ~ one month of one station per chunk
    monkeypatch.setattr(importer, "WORKERS", 2)
    seq = db.execute("SELECT coalesce(max(seq), 0) FROM audit_event").fetchone()[0]
    summary = run_import(db, shifted(2005, 24 * 120), tmp_path, "four-months.csv")   # 2005-03 .. 2005-06
    assert summary.status == "done" and summary.values_rejected == 0
    assert rows_in(db, "2005-02-28", "2005-07-01") == (summary.values_accepted, summary.values_accepted)
    records = db.execute("""SELECT detail FROM audit_event WHERE seq > %s AND action = 'observation.ingest.insert'""",
                         (seq,)).fetchall()
    assert len(records) >= 4 and sum(d["rows"] for (d,) in records) == summary.values_accepted
    # a new partition's days get their states from the loader; a slice appended to it queues its days for sealing
    assert {("days_sha256" in d, "days_pending" in d) for (d,) in records} == {(True, False), (False, True)}
    assert audit_data.verify_data(db).open > 0
    audit_data.seal(db, "test")
    db.commit()
    report = audit_data.verify_data(db)
    assert report.ok and report.open == 0, report.problems
    stale = db.execute("""SELECT count(*) FROM latest_value l
                          WHERE l.t <> (SELECT max(o.t) FROM observation o WHERE o.series_id = l.series_id)""")
    assert stale.fetchone()[0] == 0                            # each loader kept the newest value of a series
    assert db.execute("SELECT count(*) FROM aggregate_dirty WHERE day BETWEEN '2005-03-01' AND '2005-06-28'"
                      ).fetchone()[0] >= 120


def test_a_failing_loader_stops_the_import_and_a_rerun_completes_it(db, tmp_path, monkeypatch):
    ensure_registry(db)
    monkeypatch.setattr(importer, "CHUNK_VALUES", 3_000)
    monkeypatch.setattr(importer, "WORKERS", 2)
    real_merge = importer.observations.merge
    calls = {"n": 0}

    def failing_merge(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_merge(*args, **kwargs)

    text = shifted(2006, 24 * 120)
    monkeypatch.setattr(importer.observations, "merge", failing_merge)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(db, text, tmp_path, "fails.csv")
    db.rollback()
    stored, _ = rows_in(db, "2006-02-28", "2006-07-01")
    monkeypatch.setattr(importer.observations, "merge", real_merge)
    summary = run_import(db, text, tmp_path, "fails.csv")
    assert 0 < stored < summary.values_accepted                  # the other loader's months were kept
    assert rows_in(db, "2006-02-28", "2006-07-01") == (summary.values_accepted, summary.values_accepted)
    audit_data.seal(db, "test")
    db.commit()
    assert audit_data.verify_data(db).ok


def test_duplicate_rows_of_a_wide_file_are_rejected_naming_the_first(db, tmp_path):
    ensure_registry(db)
    lines = shifted(2007, 3).splitlines(keepends=True)
    summary = run_import(db, "".join([*lines, lines[2]]), tmp_path, "duplicates.csv")
    assert summary.rows_total == 4 and summary.values_accepted == 3 * 12
    reasons = {r for (r,) in db.execute("SELECT DISTINCT reason FROM ingest_reject WHERE ingest_id = %s",
                                        (summary.ingest_id,)).fetchall()}
    assert reasons == {"duplicate of row 2 (same station, parameter and time)"}
    assert summary.values_rejected == 12


def test_loader_digests_equal_the_reference_per_batch_and_per_day():
    rng = np.random.default_rng(5)
    start = datetime(2024, 1, 31, 20, tzinfo=UTC)
    rows = [(sid, start + timedelta(hours=int(h)), None if rng.random() < 0.1 else float(rng.normal(50, 30)),
             [None, "N", "F", "校准"][int(rng.integers(0, 4))], int(rng.integers(0, 5)))
            for sid in (3, 8, 70000) for h in sorted(rng.choice(96, 60, replace=False))]
    frame = pl.DataFrame(rows, schema={"series_id": pl.Int32, "t": pl.Datetime("us", "UTC"), "value": pl.Float64,
                                       "data_flag": pl.Utf8, "qc_flag": pl.Int16}, orient="row")
    d = digests(frame)
    assert d.batch == batch_digest((*r, 0, 1) for r in rows)
    by_day: dict[tuple[int, int], list[tuple]] = {}
    for r in rows:
        by_day.setdefault((r[0], (r[1] - datetime(2000, 1, 1, tzinfo=UTC)).days), []).append((*r, 0, 1))
    assert list(zip(d.series.tolist(), d.days.tolist(), d.counts.tolist(), strict=True)) == [
        (s, day, len(v)) for (s, day), v in sorted(by_day.items())]
    assert [x.hex() for x in d.day_digests] == [batch_digest(v) for _, v in sorted(by_day.items())]
    changed = frame.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(1.5).otherwise(pl.col("value"))
                                 .alias("value"))
    assert digests(changed).batch != d.batch
