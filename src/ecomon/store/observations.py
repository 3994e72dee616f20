"""Writing observations: one bulk path for files, API batches and HJ 212 packets.

Rows are COPYed into an unindexed temporary table, then merged into the partitioned `observation` table
in key order. The merge is idempotent (the same datum twice is stored once) and keeps every superseded
version in `observation_history`; it also maintains `latest_value` and marks aggregates dirty.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl
import psycopg

STAGE_COLUMNS = ("series_id", "t", "value", "data_flag", "qc_flag", "source_id", "row_no")


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    changed: int
    unchanged: int


def series_ids(conn: psycopg.Connection, keys: pl.DataFrame, interval: str) -> pl.DataFrame:
    """Ids for (site_id, parameter) pairs at one interval kind, creating missing series.

    `keys` has columns site_id (Int64) and parameter (Utf8); returns them with series_id (Int32).
    """
    keys = keys.unique()
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS series_keys (site_id bigint, parameter_code text) "
                    "ON COMMIT DROP")
        cur.execute("TRUNCATE series_keys")
        with cur.copy("COPY series_keys (site_id, parameter_code) FROM STDIN") as copy:
            for site_id, parameter in keys.select("site_id", "parameter").iter_rows():
                copy.write_row((site_id, parameter))
        cur.execute(
            """INSERT INTO series (site_id, parameter_code, interval_kind)
               SELECT site_id, parameter_code, %s FROM series_keys
               ON CONFLICT (coalesce(site_id, 0), coalesce(outlet_id, 0), parameter_code, interval_kind)
               DO NOTHING""", (interval,))
        cur.execute(
            """SELECT s.site_id, s.parameter_code, s.id FROM series s
               JOIN series_keys k ON k.site_id = s.site_id AND k.parameter_code = s.parameter_code
               WHERE s.interval_kind = %s""", (interval,))
        rows = cur.fetchall()
    return pl.DataFrame(rows, schema={"site_id": pl.Int64, "parameter": pl.Utf8, "series_id": pl.Int32},
                        orient="row")


def merge(conn: psycopg.Connection, rows: pl.DataFrame, *, channel: str, changed_by: str,
          local_tz: str) -> MergeCounts:
    """Merge observations (columns STAGE_COLUMNS; t in UTC) within the caller's transaction."""
    if rows.height == 0:
        return MergeCounts(0, 0, 0)
    rows = rows.select(STAGE_COLUMNS).sort("series_id", "t")
    with conn.cursor() as cur:
        cur.execute(
            """CREATE TEMP TABLE IF NOT EXISTS obs_stage (
                   series_id integer, t timestamptz, value double precision, data_flag text,
                   qc_flag smallint, source_id bigint, row_no integer) ON COMMIT DROP""")
        cur.execute("TRUNCATE obs_stage")
        _copy_frame(cur, "obs_stage", rows)
        t_min, t_max = rows["t"].min(), rows["t"].max()
        cur.execute("SELECT ensure_observation_partitions(%s, %s)", (t_min, t_max))
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
        cur.execute(
            """INSERT INTO latest_value AS l (series_id, t, value, data_flag, qc_flag, review_state)
               SELECT DISTINCT ON (series_id) series_id, t, value, data_flag, qc_flag, 0
               FROM obs_stage ORDER BY series_id, t DESC
               ON CONFLICT (series_id) DO UPDATE
               SET t = excluded.t, value = excluded.value, data_flag = excluded.data_flag,
                   qc_flag = excluded.qc_flag, review_state = 0, updated_at = now()
               WHERE excluded.t >= l.t""")
        if written:
            cur.execute(
                """INSERT INTO aggregate_dirty (series_id, day)
                   SELECT DISTINCT series_id, (t AT TIME ZONE %s)::date FROM obs_stage
                   ON CONFLICT DO NOTHING""", (local_tz,))
    return MergeCounts(inserted=written - changed, changed=changed, unchanged=rows.height - written)


def _copy_frame(cur: psycopg.Cursor, table: str, frame: pl.DataFrame) -> None:
    """COPY a frame as CSV text (Polars writes it far faster than per-row Python)."""
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f+00:00", null_value="")
    cols = ", ".join(frame.columns)
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        view = buf.getbuffer()
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start:start + (1 << 20)])
