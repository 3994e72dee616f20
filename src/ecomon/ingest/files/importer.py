"""File import (M2): archive the raw file, transform it, merge observations, log every reject.

Idempotent by content: the same bytes imported twice are a no-op; an import interrupted half-way can be
re-run and ends with exactly one copy (the merge is an upsert and the interrupted log is closed as failed).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import psycopg

from ecomon.ingest.files.mapping import Mapping
from ecomon.ingest.files.transform import ParameterInfo, TransformResult, numbered, time_batches, transform
from ecomon.quality import audit
from ecomon.registry import lookups
from ecomon.store import observations
from ecomon.store.archive import archive_bytes
from ecomon.store.db import connect

CHUNK_VALUES = 400_000
WORKERS = 3        # loaders (connections) at once: one COPYs a month while another builds a key or commits;
                   # the file is transformed on a connection of its own meanwhile
ANALYZE_AFTER = 100_000


@dataclass
class ImportSummary:
    name: str
    sha256: str
    status: str                      # done | skipped | dry-run
    ingest_id: int | None = None
    rows_total: int = 0
    rows_rejected: int = 0
    values_accepted: int = 0
    values_rejected: int = 0
    values_flagged: int = 0
    values_changed: int = 0
    sites_registered: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rejects: pl.DataFrame | None = None

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "rejects"}
        d["seconds"] = round(self.seconds, 2)
        return d


def read_table(data: bytes, name: str, mapping: Mapping) -> pl.DataFrame:
    """All cells as strings, so the transform decides what is valid and reports it per cell."""
    if mapping.source.format == "xlsx":
        return pl.read_excel(io.BytesIO(data), sheet_name=mapping.source.sheet, infer_schema_length=0)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if mapping.source.encoding == "gb18030":
        data = data.decode("gb18030").encode("utf-8")
    elif data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    return pl.read_csv(io.BytesIO(data), infer_schema=False, separator=mapping.source.delimiter,
                       truncate_ragged_lines=False)


def import_bytes(
    conn: psycopg.Connection,
    data: bytes,
    name: str,
    mapping: Mapping,
    *,
    user: str,
    archive_root: Path,
    local_tz: str,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    started = time.monotonic()
    sha = hashlib.sha256(data).hexdigest()
    summary = ImportSummary(name=name, sha256=sha, status="dry-run" if dry_run else "done")
    previous = conn.execute(
        """SELECT l.id FROM ingest_log l JOIN raw_input r ON r.id = l.raw_input_id
           WHERE r.sha256 = %s AND l.status = 'done' ORDER BY l.id DESC LIMIT 1""", (sha,)).fetchone()
    if previous and not dry_run:
        summary.status, summary.ingest_id = "skipped", previous[0]
        summary.seconds = time.monotonic() - started
        return summary

    frame = read_table(data, name, mapping)
    sites = lookups.site_ids(conn)
    if mapping.station.unknown == "register" and not dry_run:
        summary.sites_registered = lookups.register_sites(
            conn, _unknown_stations(frame, mapping, sites), mapping.station, user)
        sites = lookups.site_ids(conn)
    params = {code: ParameterInfo(code, unit) for code, unit in lookups.parameter_units(conn).items()}
    resolve = lookups.alias_resolver(conn)

    def transformed(batch: pl.DataFrame) -> TransformResult:
        return transform(batch, mapping, set(sites), params, resolve, lookups.convert_units, lookups.decode_text)

    if dry_run:
        result = transformed(frame)
        _fill_counts(summary, [result])
        summary.rejects = result.rejects
        conn.rollback()
        summary.seconds = time.monotonic() - started
        return summary

    batches = time_batches(numbered(frame), mapping, CHUNK_VALUES) or [numbered(frame)]
    first = transformed(batches[0])   # a file the mapping does not fit fails here, before anything is written
    stored_path = archive_bytes(archive_root, data, sha, name)
    raw_id = conn.execute(
        """INSERT INTO raw_input (sha256, name, channel, size_bytes, stored_path, received_by)
           VALUES (%s, %s, 'file', %s, %s, %s)
           ON CONFLICT (sha256) DO UPDATE SET name = raw_input.name RETURNING id""",
        (sha, name, len(data), stored_path, user)).fetchone()[0]
    conn.execute("""UPDATE ingest_log SET status = 'failed', finished_at = now(),
                    message = 'interrupted before completion; superseded by a re-run'
                    WHERE raw_input_id = %s AND status = 'running'""", (raw_id,))
    ingest_id = conn.execute(
        """INSERT INTO ingest_log (raw_input_id, mapping, status, rows_total, by_user)
           VALUES (%s, %s, 'running', %s, %s) RETURNING id""",
        (raw_id, json.dumps(mapping.model_dump(mode="json")), frame.height, user)).fetchone()[0]
    conn.commit()
    summary.ingest_id = ingest_id

    results: list[TransformResult] = []
    estimate = frame.height * (len(mapping.columns) if mapping.layout.shape == "wide" else 1)
    counter = _Progress(estimate, progress)

    def units() -> Iterator[list[pl.DataFrame]]:
        """Each batch transformed (the first already is), its series created and committed before a loader
        refers to them, then handed on in month units while the next batch is transformed."""
        for index, batch in enumerate(batches):
            result = first if index == 0 else transformed(batch)
            results.append(result)
            values = _with_series(conn, result.values, sites, mapping.layout.interval).with_columns(
                pl.lit(raw_id, pl.Int64).alias("source_id"))
            conn.commit()
            yield from month_units(values, CHUNK_VALUES)
        counter.settle(sum(r.values.height for r in results))

    summary.values_changed = _load(conn, units(), user=user, local_tz=local_tz, progress=counter,
                                   parallel=WORKERS > 1 and (len(batches) > 1 or estimate > CHUNK_VALUES))
    _fill_counts(summary, results)
    summary.rejects = _all_rejects(results)
    _store_rejects(conn, ingest_id, summary.rejects)
    if summary.values_accepted >= ANALYZE_AFTER:
        # Fresh statistics keep the aggregation and query plans right after a bulk load. Partitions built by
        # the load are analysed as they are attached; PostgreSQL 18 can refresh the parent's alone (ONLY).
        conn.execute("ANALYZE series")
        conn.execute("ANALYZE ONLY observation" if conn.info.server_version >= 180000 else "ANALYZE observation")
    conn.execute(
        """UPDATE ingest_log SET status = 'done', finished_at = now(), rows_rejected = %s,
           values_accepted = %s, values_rejected = %s, values_flagged = %s, values_changed = %s
           WHERE id = %s""",
        (summary.rows_rejected, summary.values_accepted, summary.values_rejected, summary.values_flagged,
         summary.values_changed, ingest_id))
    conn.commit()
    summary.seconds = time.monotonic() - started
    return summary


class _Progress:
    """Values loaded so far, reported from whichever loader finished a chunk; the total is an estimate until the
    last batch is transformed."""

    def __init__(self, total: int, report: Callable[[int, int], None] | None) -> None:
        self.total, self.done, self.report, self.lock = total, 0, report, threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.done += n
            self._report()

    def settle(self, total: int) -> None:
        with self.lock:
            self.total = total
            self._report()

    def _report(self) -> None:
        if self.report:
            self.report(self.done, self.total)


def _load(conn: psycopg.Connection, units: Iterator[list[pl.DataFrame]], *, user: str, local_tz: str,
          progress: _Progress, parallel: bool) -> int:
    """Merge every unit (one transaction per chunk); returns values changed. With `parallel`, on WORKERS loader
    connections while `units` is drawn on `conn` (it transforms the file and creates series).

    Units hold disjoint months, so the loaders never write the same partition; while one sorts a month's key,
    another COPYs the next (`observations.merge` keeps their lock order deadlock-free). A failure stops the
    others after their current chunk; what was committed stays, and a re-run completes it.
    """
    if not parallel:
        return sum(_load_unit(conn, unit, user, local_tz, progress) for unit in units)
    pending: queue.Queue[list[pl.DataFrame] | None] = queue.Queue(maxsize=WORKERS)
    stop = threading.Event()

    def put(item: list[pl.DataFrame] | None) -> bool:
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> int:
        try:
            for unit in units:
                if not put(unit):
                    break
        finally:
            for _ in range(WORKERS):
                put(None)
        return 0

    def loader(target: psycopg.Connection) -> int:
        changed = 0
        while not stop.is_set():
            try:
                unit = pending.get(timeout=0.2)
            except queue.Empty:
                continue
            if unit is None:
                break
            changed += _load_unit(target, unit, user, local_tz, progress)
        return changed

    loaders = [connect(conn.info.dsn, password=conn.info.password) for _ in range(WORKERS)]
    try:
        with ThreadPoolExecutor(WORKERS + 1, thread_name_prefix="import-loader") as pool:
            futures = [pool.submit(produce), *(pool.submit(loader, target) for target in loaders)]
            wait(futures, return_when=FIRST_EXCEPTION)
            stop.set()
            return sum(future.result() for future in futures)
    finally:
        for target in loaders:
            target.close()


def _load_unit(conn: psycopg.Connection, unit: list[pl.DataFrame], user: str, local_tz: str,
               progress: _Progress) -> int:
    changed = 0
    for chunk in unit:
        try:
            audit.attribute(conn, user, "ingest")
            changed += observations.merge(conn, chunk, channel="file", changed_by=user, local_tz=local_tz).changed
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        progress.add(chunk.height)
    return changed


def month_units(values: pl.DataFrame, size: int) -> list[list[pl.DataFrame]]:
    """`month_chunks` grouped so that the slices of one month stay together, in order, in one unit."""
    units: list[list[pl.DataFrame]] = []
    last_month = None
    for chunk in month_chunks(values, size):
        first = chunk["t"].min().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if units and first == last_month:
            units[-1].append(chunk)
        else:
            units.append([chunk])
        last_month = chunk["t"].max().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return units


def month_chunks(values: pl.DataFrame, size: int) -> Iterator[pl.DataFrame]:
    """Whole UTC months (the partitions) per chunk, up to `size` values; a larger month is cut into slices.

    One chunk is one transaction, so a month whose partition does not exist yet is built and attached at once.
    A chunk is not sorted here: `observations.merge` sorts it, on the loader that takes it.
    """
    months = values.with_columns(pl.col("t").dt.truncate("1mo").alias("__month")).partition_by(
        "__month", as_dict=True, include_key=False)
    pending: list[pl.DataFrame] = []
    count = 0
    for _, month in sorted(months.items()):
        if pending and count + month.height > size:
            yield pl.concat(pending)
            pending, count = [], 0
        if month.height > size:    # slices in key order: none overlaps what the slice before stored
            yield from _slices(month.sort("series_id", "t"), size)
        else:
            pending.append(month)
            count += month.height
    if pending:
        yield pl.concat(pending)


def _slices(frame: pl.DataFrame, size: int) -> Iterator[pl.DataFrame]:
    for offset in range(0, frame.height, size):
        yield frame.slice(offset, size)


def _fill_counts(summary: ImportSummary, results: list[TransformResult]) -> None:
    summary.rows_total = sum(r.rows_total for r in results)
    summary.rows_rejected = sum(r.rows_rejected for r in results)   # a row lies in one batch only
    summary.values_accepted = sum(r.values.height for r in results)
    summary.values_rejected = sum(r.rejects.height for r in results)
    summary.values_flagged = sum(r.values_flagged for r in results)


def _all_rejects(results: list[TransformResult]) -> pl.DataFrame:
    return pl.concat([r.rejects for r in results]).sort("row_no", "column_name") if results else pl.DataFrame()


def _unknown_stations(frame: pl.DataFrame, mapping: Mapping, known: dict[str, int]) -> list[str]:
    col = mapping.station.column
    if col not in frame.columns:
        return []
    names = frame[col].str.strip_chars().drop_nulls().unique().to_list()
    return sorted(n for n in names if n and n not in known)


def _with_series(conn: psycopg.Connection, values: pl.DataFrame, sites: dict[str, int],
                 interval: str) -> pl.DataFrame:
    """Values with their series_id (missing series created): one join with the file's few (site, parameter)
    pairs rather than two over every value."""
    site_map = pl.DataFrame({"site": list(sites), "site_id": list(sites.values())},
                            schema={"site": pl.Utf8, "site_id": pl.Int64})
    pairs = values.select("site", "parameter").unique().join(site_map, on="site")
    ids = observations.series_ids(conn, pairs.select("site_id", "parameter"), interval)
    return values.join(pairs.join(ids, on=["site_id", "parameter"]), on=["site", "parameter"])


def _store_rejects(conn: psycopg.Connection, ingest_id: int, rejects: pl.DataFrame) -> None:
    if rejects.height == 0:
        return
    with conn.cursor() as cur, cur.copy(
            "COPY ingest_reject (ingest_id, row_no, column_name, value, reason) FROM STDIN") as copy:
        for row_no, column, value, reason in rejects.iter_rows():
            copy.write_row((ingest_id, row_no, column, value, reason))
