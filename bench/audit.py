"""Cost of the tamper-evident audit chain on ingest, and verify/checkpoint speed.

Merges hourly observations in batches through store.observations.merge (the one ingest path) into a fresh
database, once with the per-statement audit triggers of migration 0005 (one chained record + digest per batch,
QC queueing) and once with them disabled, in the same run; prints values/s of both and the ratio. Then verifies
the chain and builds a Merkle checkpoint over 100,000 records.

Run: ECOMON_HOME=var/dev-<you> .venv/bin/python bench/audit.py   (engines are started if embedded; ~1 min)
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import psycopg

from ecomon.config import get_settings
from ecomon.quality import audit
from ecomon.runtime.engines import Engines
from ecomon.store.db import connect, migrate
from ecomon.store.observations import merge

SERIES, HOURS, BATCH_HOURS = 60, 24 * 120, 24 * 5        # 172,800 values, batches of 7,200 values
TRIGGERS = ("observation_insert_audit", "observation_update_audit")


def fresh(base: str, name: str) -> str:
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{base.rpartition('/')[0]}/{name}"
    migrate(url)
    with connect(url) as conn:
        conn.execute("INSERT INTO region VALUES ('110000', '北京市', 'Beijing', 'province', NULL)")
        conn.execute("INSERT INTO parameter VALUES ('a34004', 'PM2.5', 'PM2.5', 'air', 'ug/m3', NULL, 0)")
        conn.execute("""INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
                        SELECT 'S' || i, 'S' || i, 'air', 'urban', 'city', '110000', 'bench'
                        FROM generate_series(1, %s) i""", (SERIES,))
        conn.execute("""INSERT INTO series (site_id, parameter_code, interval_kind)
                        SELECT id, 'a34004', 'hour' FROM site""")
        conn.commit()
    return url


def ingest(url: str, audited: bool) -> float:
    rng = np.random.default_rng(1)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM series ORDER BY id").fetchall()]
        if not audited:
            for trig in TRIGGERS:
                conn.execute(f"ALTER TABLE observation DISABLE TRIGGER {trig}")
        conn.commit()
        start = time.perf_counter()
        for h0 in range(0, HOURS, BATCH_HOURS):
            times = [t0 + timedelta(hours=h) for h in range(h0, h0 + BATCH_HOURS)]
            frame = pl.DataFrame({
                "series_id": np.repeat(ids, len(times)).astype(np.int32),
                "t": times * len(ids),
                "value": rng.gamma(2.0, 30.0, len(ids) * len(times)),
                "data_flag": ["N"] * (len(ids) * len(times)), "qc_flag": np.full(len(ids) * len(times), 2, np.int16),
                "source_id": np.zeros(len(ids) * len(times), np.int64), "row_no": np.zeros(len(ids) * len(times),
                                                                                           np.int32)},
                schema_overrides={"t": pl.Datetime("us", "UTC")})
            merge(conn, frame, channel="file", changed_by="bench", local_tz="Asia/Shanghai")
            conn.commit()
        return SERIES * HOURS / (time.perf_counter() - start)


def main() -> None:
    engines = Engines(get_settings())
    engines.start()
    base = engines.database_url()
    plain = ingest(fresh(base, "ecomon_bench_audit_off"), audited=False)
    chained = ingest(fresh(base, "ecomon_bench_audit_on"), audited=True)
    print(f"ingest merge, {SERIES * HOURS:,} values in batches of {SERIES * BATCH_HOURS:,}:")
    print(f"  without audit triggers : {plain:>10,.0f} values/s (baseline)")
    print(f"  with chained batch log : {chained:>10,.0f} values/s  ratio {chained / plain:.2f}")
    url = fresh(base, "ecomon_bench_audit_chain")
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
    assert report.ok
    print(f"100,000 chained records: append {100000 / append:,.0f} records/s (one statement), verify "
          f"{verify:.2f} s ({100000 / verify:,.0f} records/s), Merkle checkpoint incl. verify {checkpoint:.2f} s")


if __name__ == "__main__":
    main()
