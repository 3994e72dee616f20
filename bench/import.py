"""The whole Beijing file end to end, against the raw COPY limit measured in the same run.

1. import: `import_bytes` of data/beijing-air/hourly-2013-03_2016-02.csv.gz into a fresh, migrated database
   (read + transform + archive + series + merge with history/lineage/latest/dirty + ingest log), timed as a whole.
2. limit: COPY of the same long-format rows (series_id, t, value, data_flag, qc_flag, source_id, row_no), already
   in memory, into a plain table without indexes (the fastest the server stores these bytes durably), in the
   same COPY format the import uses.
Prints rows/s and values/s of both and the ratio import/limit (target >= 50 %). Optionally (--aggregates) the time
to build all aggregates afterwards, and (--rerun) the time of a second import of the same file (a no-op by checksum).

Run: .venv/bin/python bench/import.py [--aggregates] [--rerun]    (scratch database `ecomon_bench_import`; ~1 min)
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import polars as pl
import psycopg
from scratch import scratch_database

from ecomon.config import get_settings
from ecomon.ingest.files.importer import CHUNK_VALUES, WORKERS, import_bytes, read_table
from ecomon.ingest.files.mapping import load_mapping
from ecomon.ingest.files.transform import ParameterInfo, transform
from ecomon.registry import catalogue, lookups, store
from ecomon.runtime.engines import Engines
from ecomon.store import batch_audit, observations
from ecomon.store.aggregates import rebuild_dirty
from ecomon.store.db import connect

ROOT = Path(__file__).resolve().parents[1]
BEIJING = ROOT / "data" / "beijing-air"
HOURLY = BEIJING / "hourly-2013-03_2016-02.csv.gz"
TZ = "Asia/Shanghai"
DB = "ecomon_bench_import"


class CpuClock:
    """CPU seconds of this process plus the whole PostgreSQL server (embedded, on this machine).

    On a shared machine wall-clock time swings with other people's load; CPU time spent on the work itself
    does not, so the ratio is also printed on CPU time. The server's share is the postmaster's own time plus
    that of its children, finished (reaped: the loaders' closed connections) and running (backends, WAL writer,
    checkpointer), so the import's parallel loaders and the raw COPY are counted alike.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        pid_file = Path(conn.execute("SHOW data_directory").fetchone()[0]) / "postmaster.pid"
        self.postmaster = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
        self.tick = os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float | None:
        if self.postmaster is None:
            return None
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid, fields = int(stat.parent.name), stat.read_text().rpartition(")")[2].split()
            except (OSError, ValueError):
                continue
            if pid == self.postmaster:
                ticks += sum(int(f) for f in fields[11:15])       # utime, stime, cutime, cstime
            elif int(fields[1]) == self.postmaster:
                ticks += int(fields[11]) + int(fields[12])
        return time.process_time() + ticks / self.tick


def load_registry(conn: psycopg.Connection) -> None:
    store.load_regions(conn, catalogue.regions())
    store.load_parameters(conn, catalogue.parameters())
    with (BEIJING / "registry-sites.csv").open(encoding="utf-8") as fh:
        store.upsert_sites(conn, csv.DictReader(fh), "bench")
    conn.commit()


def raw_copy_limit(conn: psycopg.Connection, data: bytes, cpu: CpuClock
                   ) -> tuple[float, pl.DataFrame, float | None]:
    """Seconds to COPY the file's long-format rows into an unindexed table (frame prepared beforehand)."""
    mapping = load_mapping(BEIJING / "mapping.toml")
    params = {code: ParameterInfo(code, unit) for code, unit in lookups.parameter_units(conn).items()}
    sites = lookups.site_ids(conn)
    result = transform(read_table(data, HOURLY.name, mapping), mapping, set(sites), params,
                       lookups.alias_resolver(conn), lookups.convert_units, lookups.decode_text)
    site_map = pl.DataFrame({"site": list(sites), "site_id": list(sites.values())})
    series = {(s, p): i for i, (s, p) in enumerate(
        result.values.select("site", "parameter").unique().iter_rows(), start=1)}
    keys = pl.DataFrame([(s, p, i) for (s, p), i in series.items()], schema=["site", "parameter", "series_id"],
                        orient="row").with_columns(pl.col("series_id").cast(pl.Int32))
    frame = (result.values.join(site_map, on="site").join(keys, on=["site", "parameter"])
             .with_columns(pl.lit(1, pl.Int64).alias("source_id")).select(observations.STAGE_COLUMNS))
    conn.execute("""CREATE TABLE copy_limit (series_id integer, t timestamptz,
                    value double precision, data_flag text, qc_flag smallint, source_id bigint, row_no integer)""")
    conn.commit()
    started, cpu_started = time.perf_counter(), cpu()
    with conn.cursor() as cur:
        observations.copy_frame(cur, "copy_limit", frame)
    conn.commit()
    return time.perf_counter() - started, frame, _minus(cpu(), cpu_started)


def _minus(end: float | None, start: float | None) -> float | None:
    return None if end is None or start is None else end - start


def digest_cost(frame: pl.DataFrame, chunk: int) -> float:
    """Seconds the loader spends on its audit digests (batch + day states, `store.batch_audit`) for `frame`.

    The import computes them in the client from the frame it COPYs (what the trigger function of migration
    0009 did on the server); timed here on its own over import-sized batches.
    """
    frame = frame.sort("series_id", "t")
    started = time.perf_counter()
    for offset in range(0, frame.height, chunk):
        batch_audit.digests(frame.slice(offset, chunk))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aggregates", action="store_true", help="also time building all aggregates")
    parser.add_argument("--rerun", action="store_true", help="also time re-importing the same file (no-op)")
    args = parser.parse_args()

    engines = Engines(get_settings())
    engines.start()
    url = scratch_database(engines.database_url(), DB)
    data = HOURLY.read_bytes()
    mapping = load_mapping(BEIJING / "mapping.toml")
    with connect(url) as conn, tempfile.TemporaryDirectory() as archive:
        load_registry(conn)
        cpu = CpuClock(conn)
        started, cpu_started = time.perf_counter(), cpu()
        summary = import_bytes(conn, data, HOURLY.name, mapping, user="bench", archive_root=Path(archive),
                               local_tz=TZ)
        seconds, cpu_seconds = time.perf_counter() - started, _minus(cpu(), cpu_started)
        stored = conn.execute("SELECT count(*) FROM observation").fetchone()[0]
        assert summary.values_accepted == stored, (summary.values_accepted, stored)
        print(f"import     {summary.rows_total:>9,} rows  {stored:>10,} values  {seconds:6.1f} s  "
              f"{summary.rows_total / seconds:>9,.0f} rows/s  {stored / seconds:>9,.0f} values/s")
        if args.rerun:
            started = time.perf_counter()
            again = import_bytes(conn, data, HOURLY.name, mapping, user="bench", archive_root=Path(archive),
                                 local_tz=TZ)
            print(f"re-import  status {again.status} in {time.perf_counter() - started:.2f} s")
        if args.aggregates:
            started = time.perf_counter()
            days = rebuild_dirty(conn, TZ)
            conn.commit()
            print(f"aggregates {days:,} series-days in {time.perf_counter() - started:.1f} s")
        limit_seconds, frame, limit_cpu = raw_copy_limit(conn, data, cpu)
        conn.execute("DROP TABLE copy_limit")
        conn.commit()
    audit_seconds = digest_cost(frame, CHUNK_VALUES)
    n = frame.height
    print(f"raw COPY   {'':>9} {'':>5} {n:>10,} values  {limit_seconds:6.1f} s  {'':>9} {'':>6}  "
          f"{n / limit_seconds:>9,.0f} values/s  (table without indexes, the limit)")
    print(f"audit      the loader's obs-v2 digests and day states over the same rows: {audit_seconds:.1f} s "
          f"(inside the import time)")
    print(f"ratio      import / raw COPY = {limit_seconds / seconds:.0%}  (target >= 50 %); "
          f"loaders {WORKERS}")
    if cpu_seconds and limit_cpu:
        print(f"cpu        import {cpu_seconds:.1f} s, raw COPY {limit_cpu:.1f} s (client + whole server): "
              f"ratio {limit_cpu / cpu_seconds:.0%}")


if __name__ == "__main__":
    main()
