"""QC on ingest: stored data is queued by the database, checked by the rule tests, flagged per test with history;
invalid values leave the aggregates with the reason kept."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from ecomon.quality import pipeline
from ecomon.store import aggregates
from ecomon.store.observations import merge

PM25 = "a34004"


def _series(conn, site: str, code: str) -> int:
    return conn.execute("SELECT se.id FROM series se JOIN site s ON s.id = se.site_id WHERE s.code = %s "
                        "AND se.parameter_code = %s AND se.interval_kind = 'hour'", (site, code)).fetchone()[0]


def test_ingest_queues_and_qc_flags_every_value(qworld, qdb) -> None:
    assert qdb.execute("SELECT count(*) FROM qc_pending").fetchone()[0] > 0
    counts = pipeline.drain(qdb, actor="test-qc", local_tz="Asia/Shanghai")
    assert counts.values > 8_000 and counts.changed > 0   # 2 stations × 744 h × 6 checked parameters
    assert qdb.execute("SELECT count(*) FROM qc_pending").fetchone()[0] == 0
    # every present value of a checked parameter now carries a QC verdict, none is left "not evaluated"
    left = qdb.execute("""SELECT count(*) FROM observation o JOIN series se ON se.id = o.series_id
                          WHERE se.parameter_code = %s AND o.value IS NOT NULL AND o.qc_flag = 2""", (PM25,))
    assert left.fetchone()[0] == 0
    # the QC batch is one chained audit record with its digest, attributed to the worker
    rec = qdb.execute("""SELECT actor, detail FROM audit_event WHERE action = 'observation.qc.update'
                         ORDER BY seq DESC LIMIT 1""").fetchone()
    assert rec[0] == "test-qc" and rec[1]["rows"] > 0 and len(rec[1]["sha256"]) == 64
    # thresholds are stored data: the result names the configuration version
    version = qdb.execute("SELECT max(version) FROM qc_config WHERE rule_set = 'air-hourly'").fetchone()[0]
    assert qdb.execute("SELECT count(*) FROM qc_threshold WHERE version = %s", (version,)).fetchone()[0] > 20


def test_out_of_range_value_fails_and_leaves_the_daily_mean(qworld, qdb) -> None:
    pipeline.drain(qdb, actor="test-qc", local_tz="Asia/Shanghai")
    sid = _series(qdb, "Dongsi", PM25)
    t = datetime(2013, 3, 10, 4, tzinfo=UTC)          # 12:00 local
    bad = pl.DataFrame({"series_id": [sid], "t": [t], "value": [5000.0], "data_flag": [None], "qc_flag": [2],
                        "source_id": [0], "row_no": [1]},
                       schema={"series_id": pl.Int32, "t": pl.Datetime("us", "UTC"), "value": pl.Float64,
                               "data_flag": pl.String, "qc_flag": pl.Int16, "source_id": pl.Int64,
                               "row_no": pl.Int32})
    merge(qdb, bad, channel="manual", changed_by="test", local_tz="Asia/Shanghai")
    qdb.commit()
    assert qdb.execute("SELECT count(*) FROM qc_pending WHERE series_id = %s", (sid,)).fetchone()[0] == 1
    pipeline.drain(qdb, actor="test-qc", local_tz="Asia/Shanghai")
    flag, = qdb.execute("SELECT qc_flag FROM observation WHERE series_id = %s AND t = %s", (sid, t)).fetchone()
    fail, = qdb.execute("SELECT fail FROM qc_result WHERE series_id = %s AND t = %s", (sid, t)).fetchone()
    assert flag == 4
    assert fail & (1 << pipeline.TEST_BITS.index("gross_range"))
    aggregates.rebuild_dirty(qdb, "Asia/Shanghai")
    day = datetime(2013, 3, 9, 16, tzinfo=UTC)         # local midnight of 10 March
    mean, n = qdb.execute("SELECT value, n FROM aggregate WHERE series_id = %s AND kind = 'day' AND t = %s",
                          (sid, day)).fetchone()
    valid = qdb.execute("""SELECT avg(value), count(value) FROM observation WHERE series_id = %s AND t >= %s
                           AND t < %s + interval '1 day' AND qc_flag NOT IN (4, 9)""", (sid, day, day)).fetchone()
    assert n == valid[1] and abs(mean - valid[0]) < 1e-9 and mean < 1000
    # a later clean revision passes again; the failed outcome stays in the QC history
    merge(qdb, bad.with_columns(value=pl.lit(80.0)), channel="manual", changed_by="test", local_tz="Asia/Shanghai")
    qdb.commit()
    pipeline.drain(qdb, actor="test-qc", local_tz="Asia/Shanghai")
    assert qdb.execute("SELECT qc_flag FROM observation WHERE series_id = %s AND t = %s", (sid, t)).fetchone()[0] != 4
    hist = qdb.execute("SELECT fail FROM qc_result_history WHERE series_id = %s AND t = %s", (sid, t)).fetchall()
    assert any(f & 1 for (f,) in hist)


def test_watch_worker_checks_new_data_and_takes_checkpoints(qworld, qdb, use_database) -> None:
    import threading
    import time

    use_database(qworld.url)
    pipeline.drain(qdb, actor="test-qc", local_tz="Asia/Shanghai")
    sid = _series(qdb, "Aotizhongxin", PM25)
    t = datetime(2013, 3, 21, 4, tzinfo=UTC)
    row = pl.DataFrame({"series_id": [sid], "t": [t], "value": [-50.0], "data_flag": [None], "qc_flag": [2],
                        "source_id": [0], "row_no": [1]},
                       schema={"series_id": pl.Int32, "t": pl.Datetime("us", "UTC"), "value": pl.Float64,
                               "data_flag": pl.String, "qc_flag": pl.Int16, "source_id": pl.Int64,
                               "row_no": pl.Int32})
    checkpoints = qdb.execute("SELECT count(*) FROM audit_checkpoint").fetchone()[0]
    stop = threading.Event()
    worker = threading.Thread(target=pipeline.watch, kwargs={
        "actor": "quality-worker", "local_tz": "Asia/Shanghai", "poll": 0.2, "detect_every": 1e9,
        "checkpoint_every": 0.0, "stop": stop})
    worker.start()
    try:
        merge(qdb, row, channel="manual", changed_by="test", local_tz="Asia/Shanghai")
        qdb.commit()
        deadline = time.monotonic() + 30
        flag = None
        while time.monotonic() < deadline and flag != 4:
            time.sleep(0.3)
            flag = qdb.execute("SELECT qc_flag FROM observation WHERE series_id = %s AND t = %s",
                               (sid, t)).fetchone()[0]
            qdb.rollback()
    finally:
        stop.set()
        worker.join(timeout=30)
    assert flag == 4 and not worker.is_alive()
    assert qdb.execute("SELECT count(*) FROM audit_checkpoint").fetchone()[0] > checkpoints
