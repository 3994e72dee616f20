"""Cost of the QC worker's provisional states of open days (migration 0019) as a day of minute data fills up.

HJ 212-style minute data for SERIES series of today are stored up to a time of day (the first hour as a new
partition, the rest appended, so the day is pending as the writer leaves it); then, at each level, every series
gets one more minute appended (the writer's batch: the baseline) and the QC worker's audit step runs
(`audit_data.seal`: the provisional state of every open day with rows since the last pass). Prints the append and
the pass in ms, their ratio, and `verify --data` over the open day.

Run: ECOMON_HOME=var/dev-<you> .venv/bin/python bench/audit_open_days.py   (engines are started if embedded)
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import psycopg
from scratch import air_series_database

from ecomon.config import get_settings
from ecomon.quality import audit, audit_data
from ecomon.runtime.engines import Engines
from ecomon.store.db import connect
from ecomon.store.observations import merge

SERIES = 500
SO2 = ("a21026", "SO2", "mg/m3")
LEVELS = (60, 360, 720, 1380)                  # minutes of the day already stored when the pass is timed
REPEAT = 3


def minutes(ids: list[int], start: datetime, first: int, count: int, rng: np.random.Generator) -> pl.DataFrame:
    times = [start + timedelta(minutes=m) for m in range(first, first + count)]
    n = len(ids) * count
    return pl.DataFrame({
        "series_id": np.repeat(ids, count).astype(np.int32), "t": times * len(ids),
        "value": np.round(rng.gamma(2.0, 30.0, n), 1), "data_flag": ["N"] * n, "qc_flag": np.zeros(n, np.int16),
        "source_id": np.zeros(n, np.int64), "row_no": np.zeros(n, np.int32)},
        schema_overrides={"t": pl.Datetime("us", "UTC")})


def write(conn: psycopg.Connection, frame: pl.DataFrame) -> float:
    start = time.perf_counter()
    audit.attribute(conn, "hj212-writer", "ingest")
    merge(conn, frame, channel="hj212", changed_by="bench", local_tz="Asia/Shanghai")
    conn.commit()
    return time.perf_counter() - start


def qc_pass(conn: psycopg.Connection) -> float:
    start = time.perf_counter()
    audit_data.seal(conn, "bench")
    conn.commit()
    return time.perf_counter() - start


def main() -> None:
    engines = Engines(get_settings())
    engines.start()
    try:
        run(engines.database_url())
    finally:
        engines.stop()


def run(base: str) -> None:
    rng = np.random.default_rng(1)
    today = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC)
    url = air_series_database(base, "ecomon_bench_open_days", SO2, "minute", SERIES)
    print(f"{SERIES} minute series of today; per level: one minute appended to every series (the writer's batch, "
          f"baseline) and one QC-worker audit pass, median of {REPEAT} (ms)")
    with connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM series ORDER BY id").fetchall()]
        write(conn, minutes(ids, today, 0, 60, rng))            # new partition: whole days
        stored = 60
        for level in LEVELS:
            for first in range(stored, level, 120):            # fill up to the level, appended (pending)
                write(conn, minutes(ids, today, first, min(120, level - first), rng))
            stored = level
            qc_pass(conn)                                       # states after the bulk fill (not timed)
            appends, passes = [], []
            for _ in range(REPEAT):
                appends.append(write(conn, minutes(ids, today, stored, 1, rng)))
                stored += 1
                passes.append(qc_pass(conn))
            computed = conn.execute("SELECT detail->>'computed' FROM audit_event "
                                    "WHERE action = 'observation.seal.open' ORDER BY seq DESC LIMIT 1").fetchone()[0]
            append_ms, pass_ms = np.median(appends) * 1000, np.median(passes) * 1000
            print(f"  {level // 60:>2} h of the day stored ({SERIES * level:>7,} rows): append {append_ms:7.1f} | "
                  f"pass {pass_ms:7.1f} ({computed} states, {pass_ms * 1000 / int(computed):.0f} µs each) | "
                  f"ratio pass/append {pass_ms / append_ms:.2f}")
        noop = qc_pass(conn) * 1000
        data = audit_data.verify_data(conn)
    assert data.ok and data.open == 0, data.problems
    print(f"  pass with no rows since: {noop:.1f} ms; verify --data: {data.open_checked:,} open series-days, "
          f"{data.open_rows:,} rows below their cuts checked in {data.seconds:.2f} s")


if __name__ == "__main__":
    main()
