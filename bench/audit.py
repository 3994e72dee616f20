"""Cost of the tamper-evident audit chain on ingest, and verify/checkpoint speed.

Merges hourly observations in batches through store.observations.merge (the one ingest path) into a fresh
database — first as new data (the direct partition path), then as a revision of every value (the staged upsert
that keeps history) — once with the per-statement audit triggers of migration 0005 (one chained record + digest
per batch, QC queueing, and since migration 0014 the day states of every (series, UTC day) touched) and once with
every trigger off (session_replication_role = replica, superuser only), in the same run; prints values/s of both
and the ratios. Then checks the stored observations against their day states (`ecomon audit verify --data`:
rows/s and series-days/s, beside a bare fetch of the same rows as the baseline), verifies the chain and builds a
signed Merkle checkpoint over 100,000 records, and times the Ed25519 signature checks.

Run: ECOMON_HOME=var/dev-<you> .venv/bin/python bench/audit.py   (engines are started if embedded; ~1 min)
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from scratch import air_series_database

from ecomon.config import get_settings
from ecomon.quality import audit, audit_data
from ecomon.runtime.engines import Engines
from ecomon.store import batch_audit
from ecomon.store.db import connect
from ecomon.store.observations import merge

PM25 = ("a34004", "PM2.5", "ug/m3")
SERIES, HOURS, BATCH_HOURS = 60, 24 * 120, 24 * 5        # 172,800 values, batches of 7,200 values


def ingest(url: str, audited: bool) -> tuple[float, float]:
    """values/s for new data and for a revision of all of it.

    Unaudited, the triggers are off and the direct write paths skip the record they write themselves
    (`store.batch_audit`: digests, day states, chain append), so the baseline pays no audit at all.
    """
    prepare, append = batch_audit.prepare, batch_audit.append_record
    if not audited:
        batch_audit.prepare, batch_audit.append_record = (lambda *a, **k: None), (lambda *a, **k: None)
    try:
        return _ingest(url, audited)
    finally:
        batch_audit.prepare, batch_audit.append_record = prepare, append


def _ingest(url: str, audited: bool) -> tuple[float, float]:
    rng = np.random.default_rng(1)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rates = []
    with connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM series ORDER BY id").fetchall()]
        for offset in (0.0, 0.5):                     # new values, then every value revised
            if not audited:
                conn.execute("SET session_replication_role = replica")
            conn.commit()
            start = time.perf_counter()
            for h0 in range(0, HOURS, BATCH_HOURS):
                times = [t0 + timedelta(hours=h) for h in range(h0, h0 + BATCH_HOURS)]
                n = len(ids) * len(times)
                frame = pl.DataFrame({
                    "series_id": np.repeat(ids, len(times)).astype(np.int32), "t": times * len(ids),
                    "value": np.round(rng.gamma(2.0, 30.0, n)) + offset, "data_flag": ["N"] * n,
                    "qc_flag": np.full(n, 2, np.int16), "source_id": np.zeros(n, np.int64),
                    "row_no": np.zeros(n, np.int32)}, schema_overrides={"t": pl.Datetime("us", "UTC")})
                merge(conn, frame, channel="file", changed_by="bench", local_tz="Asia/Shanghai")
                conn.commit()
            rates.append(SERIES * HOURS / (time.perf_counter() - start))
    return rates[0], rates[1]


def main() -> None:
    engines = Engines(get_settings())
    engines.start()
    base = engines.database_url()
    plain = ingest(air_series_database(base, "ecomon_bench_audit_off", PM25, "hour", SERIES), audited=False)
    chained = ingest(air_series_database(base, "ecomon_bench_audit_on", PM25, "hour", SERIES), audited=True)
    print(f"ingest merge, {SERIES * HOURS:,} values in batches of {SERIES * BATCH_HOURS:,} (values/s):")
    print(f"  new data : triggers off {plain[0]:>9,.0f} (baseline) | chained batch log {chained[0]:>9,.0f} "
          f"| ratio {chained[0] / plain[0]:.2f}")
    print(f"  revision : triggers off {plain[1]:>9,.0f} (baseline) | chained batch log {chained[1]:>9,.0f} "
          f"| ratio {chained[1] / plain[1]:.2f}")
    with connect(base.rpartition("/")[0] + "/ecomon_bench_audit_on") as conn:
        start = time.perf_counter()
        sealed = audit_data.seal(conn, "bench", limit=1_000_000)   # appended days, closed: as the QC worker does
        conn.commit()
        print(f"seal: {sealed:,} appended series-days sealed in {time.perf_counter() - start:.2f} s")
        data = audit_data.verify_data(conn)
        start = time.perf_counter()
        with conn.cursor(name="bare") as cur:
            cur.itersize = 50_000
            cur.execute("SELECT series_id, t, value, data_flag, qc_flag, review_state, version FROM observation "
                        "ORDER BY series_id, t")
            fetched = sum(1 for _ in cur)
        bare = time.perf_counter() - start
    assert data.ok and fetched == data.rows, data.problems
    print(f"verify --data: {data.rows:,} rows + {data.superseded:,} superseded versions in {data.days:,} series-days, "
          f"{data.records:,} records: "
          f"{data.seconds:.2f} s = {data.rows / data.seconds:,.0f} stored rows/s, "
          f"{(data.rows + data.superseded) / data.seconds:,.0f} rows/s incl. superseded ({data.days / data.seconds:,.0f} "
          f"series-days/s) | bare fetch of the same rows {fetched / bare:,.0f} rows/s (baseline) | ratio "
          f"{bare / data.seconds:.2f}")
    url = air_series_database(base, "ecomon_bench_audit_chain", PM25, "hour", SERIES)
    with connect(url) as conn:
        start = time.perf_counter()
        conn.execute("""INSERT INTO audit_event (actor, action, target, detail)
                        SELECT 'bench', 'login.ok', 'u' || i, jsonb_build_object('n', i) FROM generate_series(1, 100000) i""")
        conn.commit()
        append = time.perf_counter() - start
        start = time.perf_counter()
        report = audit.verify(conn)
        verify = time.perf_counter() - start
        start = time.perf_counter()
        audit.checkpoint(conn, "bench")
        conn.commit()
        checkpoint = time.perf_counter() - start
        cps = audit.stored_checkpoints(conn) * 1000
        start = time.perf_counter()
        problem = audit.check_signatures(conn, cps, "bench")
        signatures = time.perf_counter() - start
    assert report.ok and problem is None
    print(f"100,000 chained records: append {100000 / append:,.0f} records/s (one statement), verify "
          f"{verify:.2f} s ({100000 / verify:,.0f} records/s), signed Merkle checkpoint incl. verify "
          f"{checkpoint:.2f} s; Ed25519 checkpoint signature checks {len(cps) / signatures:,.0f}/s")


if __name__ == "__main__":
    main()
