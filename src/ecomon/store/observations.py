"""Writing observations: one bulk path for files, API batches and HJ 212 packets.

New data (nothing stored yet in the batch's series and time span) is COPYed straight into the partitioned
`observation` table; anything else is COPYed into an unindexed temporary table and merged in key order. Both
are idempotent (the same datum twice is stored once); the merge keeps every superseded version in
`observation_history`. Both maintain `latest_value` and mark aggregates dirty with set-based statements.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import polars as pl
import psycopg
from psycopg import sql

from ecomon.store import batch_audit

STAGE_COLUMNS = ("series_id", "t", "value", "data_flag", "qc_flag", "source_id", "row_no")
DIGEST_COLUMNS = ("series_id", "t", "value", "data_flag", "qc_flag", "review_state", "version")
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    changed: int
    unchanged: int


def batch_digest(rows: Iterable[tuple]) -> str:
    """SHA-256 (hex) of the per-statement observation audit record ("digest": "obs-v2", migration 0009).

    `rows` are (DIGEST_COLUMNS) tuples in (series_id, t) order. Recomputed here without any database function,
    so a check of stored rows against their audit record does not trust the server that wrote both.
    """
    digest = hashlib.sha256()
    for series_id, t, value, data_flag, qc_flag, review_state, version in rows:
        delta = t - _PG_EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        digest.update(struct.pack(">iq", series_id, micros))
        digest.update(b"\x00" if value is None else b"\x01" + struct.pack(">d", value))
        if data_flag is None:
            digest.update(b"\xff\xff")
        else:
            flag = data_flag.encode()
            digest.update(struct.pack(">h", len(flag)) + flag)
        digest.update(struct.pack(">q", (qc_flag & 0xFFFF) << 32 | (review_state & 0xFFFF) << 16 | version & 0xFFFF))
    return digest.hexdigest()


def series_ids(conn: psycopg.Connection, keys: pl.DataFrame, interval: str,
               place: Literal["site_id", "outlet_id"] = "site_id") -> pl.DataFrame:
    """Ids for (site_id, parameter) pairs at one interval kind, creating missing series; with
    `place="outlet_id"` for (outlet_id, parameter) pairs of enterprise outlets (CEMS) instead.

    `keys` has columns `place` (Int64) and parameter (Utf8); returns them with series_id (Int32).
    """
    keys = keys.unique()
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS series_keys (place_id bigint, parameter_code text) "
                    "ON COMMIT DROP")
        cur.execute("TRUNCATE series_keys")
        with cur.copy("COPY series_keys (place_id, parameter_code) FROM STDIN") as copy:
            for place_id, parameter in keys.select(place, "parameter").iter_rows():
                copy.write_row((place_id, parameter))
        cur.execute(
            f"""INSERT INTO series ({place}, parameter_code, interval_kind)
               SELECT place_id, parameter_code, %s FROM series_keys
               ON CONFLICT (coalesce(site_id, 0), coalesce(outlet_id, 0), parameter_code, interval_kind)
               DO NOTHING""", (interval,))
        cur.execute(
            f"""SELECT s.{place}, s.parameter_code, s.id FROM series s
               JOIN series_keys k ON k.place_id = s.{place} AND k.parameter_code = s.parameter_code
               WHERE s.interval_kind = %s""", (interval,))
        rows = cur.fetchall()
    return pl.DataFrame(rows, schema={place: pl.Int64, "parameter": pl.Utf8, "series_id": pl.Int32}, orient="row")


def merge(conn: psycopg.Connection, rows: pl.DataFrame, *, channel: str, changed_by: str,
          local_tz: str) -> MergeCounts:
    """Merge observations (columns STAGE_COLUMNS; t in UTC) within the caller's transaction.

    When no stored row of the batch's series falls inside the batch's time span of that series, nothing can
    conflict and there is no history to keep: the rows are written straight into their monthly partitions, and
    a month that has no partition yet is built as a table of its own, indexed in one sort and attached (several
    times faster than the staged upsert). If a concurrent writer stores the same keys or creates the same
    partition in between, that write is rolled back to its savepoint and the batch takes the staged merge.
    Writers lock in one order (QC queue, rows, audit chain, latest values, dirty days; see `_queue_qc`), so
    concurrent merges and the QC worker queue rather than deadlock; the chain is locked only after the long COPY
    and key build, so parallel loaders overlap those.
    """
    if rows.height == 0:
        return MergeCounts(0, 0, 0)
    rows = rows.select(STAGE_COLUMNS).sort("series_id", "t")
    with conn.cursor() as cur:
        _queue_qc(cur, rows)
        counts = None if _overlaps_stored(cur, rows) else _write_new(conn, cur, rows, channel, local_tz)
        if counts is None:
            cur.execute("SELECT ensure_observation_partitions(%s, %s)", (rows["t"].min(), rows["t"].max()))
            counts = _staged_merge(cur, rows, channel=channel, changed_by=changed_by)
            _update_latest(cur, rows)
            if counts.inserted or counts.changed:
                _mark_dirty(cur, rows, local_tz)
    return counts


def _queue_qc(cur: psycopg.Cursor, rows: pl.DataFrame) -> None:
    """Queue the batch's (series, UTC day) for automatic QC before anything else is locked.

    Every writer takes its locks in one order: QC queue, rows, audit chain, latest values, dirty days. The QC
    worker claims queue rows (skipping locked ones), then updates flags; were the queue taken after the chain
    lock, a writer waiting for a claimed row while holding the lock would deadlock with the worker. Only ingest
    is queued (`ecomon.change`, as the audit trigger functions read it).
    """
    days = rows.select("series_id", pl.col("t").dt.date().alias("day")).unique().sort("series_id", "day")
    cur.execute(
        """INSERT INTO qc_pending (series_id, day)
           SELECT series_id, day FROM unnest(%s::text::integer[], %s::text::date[]) AS d(series_id, day)
           WHERE coalesce(nullif(current_setting('ecomon.change', true), ''), 'ingest') = 'ingest'
           ORDER BY 1, 2
           ON CONFLICT (series_id, day) DO UPDATE SET queued_at = now()""",
        (batch_audit.int_array(days["series_id"].to_numpy()),
         "{" + ",".join(days["day"].dt.to_string("%Y-%m-%d").to_list()) + "}"))


def _overlaps_stored(cur: psycopg.Cursor, rows: pl.DataFrame) -> bool:
    """Whether any stored observation lies within the batch's [first, last] time of the same series."""
    spans = rows.group_by("series_id").agg(pl.col("t").min().alias("lo"), pl.col("t").max().alias("hi"))
    stamps = [",".join(spans[c].dt.to_string("%Y-%m-%dT%H:%M:%S%.f+00:00").to_list()) for c in ("lo", "hi")]
    cur.execute(  # array literals: thousands of timestamps adapted one by one cost the writer a tenth of its CPU
        """SELECT EXISTS (SELECT 1 FROM unnest(%s::text::integer[], %s::text::timestamptz[], %s::text::timestamptz[])
                                   AS b(id, lo, hi)
                          WHERE EXISTS (SELECT 1 FROM observation o
                                        WHERE o.series_id = b.id AND o.t BETWEEN b.lo AND b.hi))""",
        (batch_audit.int_array(spans["series_id"].to_numpy()), "{" + stamps[0] + "}", "{" + stamps[1] + "}"))
    return bool(cur.fetchone()[0])


def _write_new(conn: psycopg.Connection, cur: psycopg.Cursor, rows: pl.DataFrame, channel: str, local_tz: str
               ) -> MergeCounts | None:
    """Write rows that cannot conflict into their partitions; None if a concurrent writer got there first.

    Rows go to the partitions themselves, not through `observation`: PostgreSQL inserts row by row into a
    partitioned table that has a statement trigger with a transition table (the per-batch audit of migration
    0005). So the audit record of each part (the same one the trigger function writes) is computed here from the
    frame that was COPYed (`batch_audit`). New months are built as tables of their own and attached last, after
    the shared rows (audit chain, latest values, dirty days) are written, to hold the parent's lock the least.
    """
    staged = rows.with_columns(pl.lit(channel).alias("channel"), pl.col("t").dt.truncate("1mo").alias("month"))
    months = {month: part.drop("month") for (month,), part in staged.partition_by("month", as_dict=True).items()}
    try:
        with conn.transaction():
            built, existing, records = [], [], []
            for month, part in sorted(months.items()):
                cur.execute("SELECT to_regclass(%s) IS NOT NULL", (_partition(month),))
                if cur.fetchone()[0]:
                    existing.append(month)
                else:
                    _build_partition(cur, month, part)
                    built.append(month)
                    records.append(batch_audit.prepare(part.drop("channel"), channel, whole_days=True))
            if existing:
                appended = pl.concat([months[m] for m in existing])
                _append(cur, appended, existing)
                records.append(batch_audit.prepare(appended.drop("channel"), channel, whole_days=False))
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('ecomon.audit_chain'))")  # audit_chain(), 0005
            _update_latest(cur, rows)
            _mark_dirty(cur, rows, local_tz)
            for record in records:
                batch_audit.append_record(cur, record)
            for month in built:
                _attach(cur, month)
    except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable, psycopg.errors.InvalidObjectDefinition):
        return None
    return MergeCounts(inserted=rows.height, changed=0, unchanged=0)


def _partition(month: datetime) -> str:
    return f"observation_{month:%Y%m}"  # the naming of ensure_observation_partitions (migration 0001)


def _month_bounds(month: datetime) -> tuple[datetime, datetime]:
    return month, month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _build_partition(cur: psycopg.Cursor, month: datetime, rows: pl.DataFrame) -> None:
    """A new month: COPY into a plain table and build its primary key in one sort; `_attach` links it later.

    Analysed now (the columns queries filter on) for the aggregation that follows, from a small sample
    (statistics target 10: a tenth of the default's cost, which otherwise reads most of a fresh month); a later
    ANALYZE (autovacuum's, or an operator's) refines them.
    """
    table = _partition(month)
    name = sql.Identifier(table)
    lo, hi = (sql.Literal(b) for b in _month_bounds(month))
    cur.execute(sql.SQL("CREATE TABLE {} (LIKE observation INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                        "CONSTRAINT load_bounds CHECK (t >= {} AND t < {}))").format(name, lo, hi))
    copy_frame(cur, table, rows, freeze=True)
    cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY (series_id, t)").format(
        name, sql.Identifier(f"{table}_pkey")))
    cur.execute("SET LOCAL default_statistics_target = 10")
    cur.execute(sql.SQL("ANALYZE {} (series_id, t, qc_flag)").format(name))
    cur.execute("SET LOCAL default_statistics_target TO DEFAULT")


def _attach(cur: psycopg.Cursor, month: datetime) -> None:
    """ATTACH finds the key already built and only links it to the parent's; the CHECK spares it a scan."""
    name = sql.Identifier(_partition(month))
    lo, hi = (sql.Literal(b) for b in _month_bounds(month))
    cur.execute(sql.SQL("ALTER TABLE observation ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
        name, lo, hi))
    cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT load_bounds").format(name))


def _append(cur: psycopg.Cursor, rows: pl.DataFrame, months: list[datetime]) -> None:
    """Existing months: COPY into a temporary table, then append each month to its partition; rows of one month
    (live data) are COPYed into its partition directly, which halves the database time of the append."""
    if len(months) == 1:
        copy_frame(cur, _partition(months[0]), rows)
        return
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS obs_new (LIKE observation INCLUDING DEFAULTS) ON COMMIT DROP")
    cur.execute("TRUNCATE obs_new")
    copy_frame(cur, "obs_new", rows)
    for month in months:
        cur.execute(sql.SQL("INSERT INTO {} SELECT * FROM obs_new WHERE t >= %s AND t < %s").format(
            sql.Identifier(_partition(month))), _month_bounds(month))


def _staged_merge(cur: psycopg.Cursor, rows: pl.DataFrame, *, channel: str, changed_by: str) -> MergeCounts:
    """Upsert through an unindexed temporary table, keeping every superseded version in history."""
    cur.execute(
        """CREATE TEMP TABLE IF NOT EXISTS obs_stage (
               series_id integer, t timestamptz, value double precision, data_flag text,
               qc_flag smallint, source_id bigint, row_no integer) ON COMMIT DROP""")
    cur.execute("TRUNCATE obs_stage")
    copy_frame(cur, "obs_stage", rows)
    cur.execute("ANALYZE obs_stage")  # temporary tables get no autovacuum statistics; the joins need them
    t_min, t_max = rows["t"].min(), rows["t"].max()
    # Superseded versions go to history first (same snapshot as the upsert below).
    cur.execute(
        """INSERT INTO observation_history (series_id, t, value, data_flag, qc_flag, review_state, channel,
                                            source_id, row_no, received_at, version, superseded_by)
           SELECT o.series_id, o.t, o.value, o.data_flag, o.qc_flag, o.review_state, o.channel,
                  o.source_id, o.row_no, o.received_at, o.version, %s
           FROM obs_stage s JOIN observation o ON o.series_id = s.series_id AND o.t = s.t
           WHERE o.t BETWEEN %s AND %s
             AND (o.value IS DISTINCT FROM s.value OR o.data_flag IS DISTINCT FROM s.data_flag)""",
        (changed_by, t_min, t_max))
    changed = cur.rowcount
    cur.execute(
        """INSERT INTO observation AS o (series_id, t, value, data_flag, qc_flag, channel, source_id, row_no)
           SELECT series_id, t, value, data_flag, qc_flag, %s, source_id, row_no FROM obs_stage
           ON CONFLICT (series_id, t) DO UPDATE
           SET value = excluded.value, data_flag = excluded.data_flag, qc_flag = excluded.qc_flag,
               review_state = 0, channel = excluded.channel, source_id = excluded.source_id,
               row_no = excluded.row_no, received_at = now(), version = o.version + 1
           WHERE o.value IS DISTINCT FROM excluded.value OR o.data_flag IS DISTINCT FROM excluded.data_flag""",
        (channel,))
    written = cur.rowcount
    return MergeCounts(inserted=written - changed, changed=changed, unchanged=rows.height - written)


def _update_latest(cur: psycopg.Cursor, rows: pl.DataFrame) -> None:
    """Newest staged value per series (rows are sorted by series and time) replaces an older cached one."""
    newest = rows.group_by("series_id").last().select("series_id", "t", "value", "data_flag", "qc_flag")
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS latest_stage (series_id integer, t timestamptz, "
                "value double precision, data_flag text, qc_flag smallint) ON COMMIT DROP")
    cur.execute("TRUNCATE latest_stage")
    copy_frame(cur, "latest_stage", newest)
    cur.execute(
        """INSERT INTO latest_value AS l (series_id, t, value, data_flag, qc_flag, review_state)
           SELECT series_id, t, value, data_flag, qc_flag, 0 FROM latest_stage ORDER BY series_id
           ON CONFLICT (series_id) DO UPDATE
           SET t = excluded.t, value = excluded.value, data_flag = excluded.data_flag,
               qc_flag = excluded.qc_flag, review_state = 0, updated_at = now()
           WHERE excluded.t >= l.t""")


def _mark_dirty(cur: psycopg.Cursor, rows: pl.DataFrame, local_tz: str) -> None:
    """Queue every (series, local calendar day) of the batch for `aggregates.rebuild_dirty`."""
    days = rows.select("series_id", pl.col("t").dt.convert_time_zone(local_tz).dt.date().alias("day")).unique()
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS dirty_stage (series_id integer, day date) ON COMMIT DROP")
    cur.execute("TRUNCATE dirty_stage")
    copy_frame(cur, "dirty_stage", days)
    cur.execute("INSERT INTO aggregate_dirty (series_id, day) SELECT series_id, day FROM dirty_stage "
                "ORDER BY series_id, day ON CONFLICT DO NOTHING")


def copy_frame(cur: psycopg.Cursor, table: str, frame: pl.DataFrame, *, freeze: bool = False) -> None:
    """COPY a frame as CSV text (Polars writes it far faster than per-row Python).

    `freeze` (only for a table created in the current transaction) stores the rows already frozen, so neither
    the first reads nor a later VACUUM rewrite the freshly loaded pages.
    """
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f+00:00", date_format="%Y-%m-%d",
                    null_value="")
    cols = ", ".join(frame.columns)
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv{', FREEZE' if freeze else ''})") as copy:
        view = buf.getbuffer()
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start:start + (1 << 20)])
