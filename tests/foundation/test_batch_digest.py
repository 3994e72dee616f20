"""The per-statement observation audit record (migration 0009, "obs-v2") commits to exactly the rows written:
its SHA-256 is recomputed in Python from the stored rows, for new data (direct partition path) and for a revision
(staged upsert, version 2), with NULL values and flags; changing one stored value breaks the match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ecomon.quality import audit
from ecomon.store.observations import DIGEST_COLUMNS, batch_digest, merge, series_ids
from tests.foundation.helpers import ensure_registry

START = datetime(2022, 5, 31, 20, tzinfo=UTC)   # spans two monthly partitions


def frame(ids: list[int], hours: int, offset: float) -> pl.DataFrame:
    rows = [(sid, START + timedelta(hours=h), None if h == 3 else h + offset, None if h == 5 else "N", 2, 0, h)
            for sid in ids for h in range(hours)]
    return pl.DataFrame(rows, schema={"series_id": pl.Int32, "t": pl.Datetime("us", "UTC"), "value": pl.Float64,
                                      "data_flag": pl.Utf8, "qc_flag": pl.Int16, "source_id": pl.Int64,
                                      "row_no": pl.Int32}, orient="row")


def records_since(db, seq: int) -> list[tuple[str, dict]]:
    return db.execute("SELECT action, detail FROM audit_event WHERE seq > %s AND action LIKE 'observation.%%' "
                      "ORDER BY seq", (seq,)).fetchall()


def stored(db, ids: list[int], record: dict, version: int) -> list[tuple]:
    """The rows one statement wrote: the batch's series and span, at the version that statement stored."""
    return db.execute(f"SELECT {', '.join(DIGEST_COLUMNS)} FROM observation WHERE series_id = ANY(%s) "
                      "AND t BETWEEN %s AND %s AND version = %s ORDER BY series_id, t",
                      (ids, record["t_min"], record["t_max"], version)).fetchall()


def test_batch_digest_is_recomputed_from_stored_rows(db):
    ensure_registry(db)
    sites = [r[0] for r in db.execute("SELECT id FROM site ORDER BY id LIMIT 3").fetchall()]
    keys = pl.DataFrame({"site_id": sites, "parameter": ["a34004"] * len(sites)})
    ids = series_ids(db, keys, "hour")["series_id"].sort().to_list()
    audit.attribute(db, "digest-test", "ingest")
    # new data (version 1, one statement per new monthly partition), then a revision of every non-NULL value
    # (the staged upsert writes version 2; the NULL values stay as they are)
    for offset, version, action, rows_written in ((0.0, 1, "observation.ingest.insert", 36),
                                                  (0.5, 2, "observation.ingest.update", 33)):
        seq = db.execute("SELECT coalesce(max(seq), 0) FROM audit_event").fetchone()[0]
        merge(db, frame(ids, 12, offset), channel="file", changed_by="test", local_tz="Asia/Shanghai")
        records = records_since(db, seq)
        assert {a for a, _ in records} == {action}
        assert sum(r["rows"] for _, r in records) == rows_written
        for _, record in records:
            rows = stored(db, ids, record, version)
            assert record["digest"] == "obs-v2" and len(rows) == record["rows"]
            assert batch_digest(rows) == record["sha256"]
    rows = stored(db, ids, records[-1][1], 2)
    tampered = [(*rows[0][:2], rows[0][2] + 1, *rows[0][3:]), *rows[1:]]
    assert batch_digest(tampered) != records[-1][1]["sha256"]
    assert batch_digest(rows[1:]) != records[-1][1]["sha256"]
