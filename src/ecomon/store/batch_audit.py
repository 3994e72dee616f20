"""The per-batch observation audit record ("obs-v2", migration 0009) written by the loader itself.

The direct write paths of `observations.merge` (a new monthly partition, an append to an existing one) COPY into
tables that carry no audit trigger, so the record is computed here from the very frame that was COPYed: the same
SHA-256 over the same binary row form as the trigger function `observation_batch_audit`, vectorised with numpy
(the trigger's grouped sort cost more server time than the COPY itself). The record is appended last in the
transaction, so the chain's advisory lock is held only for the commit and parallel loaders do not queue on it.
`observations.batch_digest` recomputes the digest from stored rows without this code, which keeps the two honest.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass

import numpy as np
import polars as pl
import psycopg

_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in µs since the Unix epoch (timestamptz_send)
_DAY_US = 86_400_000_000
_FIXED = 4 + 8 + 1 + 8               # series_id, t, value marker, packed qc/review/version
SOURCES_LISTED = 20                  # as the trigger: the first 20 sources by name


@dataclass(frozen=True)
class Digests:
    """The batch digest and, per (series, UTC day) in key order, its row count and SHA-256 (migration 0014)."""

    batch: str
    series: np.ndarray
    days: np.ndarray          # days since 2000-01-01
    counts: np.ndarray
    day_digests: list[bytes]

    @property
    def days_sha256(self) -> str:
        """SHA-256 over the day states: int4 series | int4 day | int4 n | 32-octet digest, in key order."""
        entries = hashlib.sha256()
        for series_id, day, n, digest in zip(self.series, self.days, self.counts, self.day_digests, strict=True):
            entries.update(struct.pack(">iii", series_id, day, n) + digest)
        return entries.hexdigest()


def frame_digest(rows: pl.DataFrame) -> str:
    """SHA-256 (hex) of rows (series_id, t, value, data_flag, qc_flag[, review_state, version]) in key order."""
    return digests(rows).batch


def digests(rows: pl.DataFrame) -> Digests:
    """The obs-v2 digests of rows sorted by (series_id, t).

    Row form (migration 0009): int4 series_id | int8 µs since 2000 | 0x00, or 0x01 + float8 | 0xffff, or int2
    octet length + UTF-8 | int8 (qc & 0xffff) << 32 | (review & 0xffff) << 16 | (version & 0xffff), all big-endian.
    New rows take the column defaults review_state 0 and version 1 when the frame has no such columns.
    """
    n = rows.height
    has_value = rows["value"].is_not_null().to_numpy()
    codes, segments = _flag_segments(rows["data_flag"])
    series = rows["series_id"].to_numpy()
    micros = rows["t"].dt.epoch("us").to_numpy() - _PG_EPOCH_US
    values = rows["value"].to_numpy()
    review = rows["review_state"].to_numpy().astype(np.int64) if "review_state" in rows.columns else 0
    version = rows["version"].to_numpy().astype(np.int64) if "version" in rows.columns else 1
    packed = np.broadcast_to(((rows["qc_flag"].to_numpy().astype(np.int64) & 0xFFFF) << 32)
                             | ((review & 0xFFFF) << 16) | (version & 0xFFFF), (n,))
    seg_len = np.fromiter((len(s) for s in segments), dtype=np.int64, count=len(segments))
    length = _FIXED + 8 * has_value + seg_len[codes]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(length, out=start[1:])
    shapes = has_value.astype(np.int64) * len(segments) + codes      # rows of one shape have one byte layout
    kinds = np.unique(shapes)
    if kinds.size == 1:
        buf = _records(int(kinds[0]) >= len(segments), segments[int(kinds[0]) % len(segments)], series, micros,
                       values, packed).reshape(-1)
    else:
        buf = np.empty(int(start[-1]), dtype=np.uint8)
        for kind in kinds.tolist():
            at = np.flatnonzero(shapes == kind)
            raw = _records(kind >= len(segments), segments[kind % len(segments)], series[at], micros[at],
                           values[at], packed[at])
            buf[start[at][:, None] + np.arange(raw.shape[1])] = raw
    start = start[:-1]

    day = micros // _DAY_US
    first = np.flatnonzero(np.r_[True, (series[1:] != series[:-1]) | (day[1:] != day[:-1])]) if n else \
        np.zeros(0, dtype=np.int64)
    bounds = np.r_[start[first], buf.size] if n else np.zeros(1, dtype=np.int64)
    view = memoryview(buf)
    return Digests(batch=hashlib.sha256(view).hexdigest(), series=series[first].astype(np.int64),
                   days=day[first], counts=np.diff(np.r_[first, n]),
                   day_digests=[hashlib.sha256(view[a:b]).digest() for a, b in itertools.pairwise(bounds)])


def _flag_segments(flags: pl.Series) -> tuple[np.ndarray, list[bytes]]:
    """Per-row index into the distinct encoded flags (HJ 212 flags are a handful of codes)."""
    distinct = flags.unique(maintain_order=True).to_list()
    segments = [b"\xff\xff" if f is None else len(f.encode()).to_bytes(2, "big") + f.encode() for f in distinct]
    index = {f: i for i, f in enumerate(distinct) if f is not None}
    codes = flags.replace_strict(index, return_dtype=pl.Int64) if index else pl.Series([None] * flags.len(),
                                                                                      dtype=pl.Int64)
    if None in distinct:
        codes = codes.fill_null(distinct.index(None))
    return codes.to_numpy(), segments


def _records(valued: bool, flag: bytes, series: np.ndarray, micros: np.ndarray, values: np.ndarray,
             packed: np.ndarray) -> np.ndarray:
    """Rows of one layout as a packed big-endian record array, one row of octets each."""
    fields = [("series", ">i4"), ("t", ">i8"), ("marker", "u1"), *([("value", ">f8")] if valued else []),
              ("flag", f"S{len(flag)}"), ("packed", ">i8")]
    out = np.empty(series.size, dtype=np.dtype(fields))
    out["series"], out["t"], out["marker"], out["flag"], out["packed"] = series, micros, valued, flag, packed
    if valued:
        out["value"] = values
    return out.view(np.uint8).reshape(series.size, -1)


def prepare(rows: pl.DataFrame, channel: str, *, whole_days: bool) -> dict:
    """The record of rows written (STAGE_COLUMNS, sorted by series_id and t), computed before any lock is taken.

    With `whole_days` (a new partition: the rows are all there is of their days) the day states of migration 0014
    are computed here too; otherwise the days are queued to be sealed once they close (migration 0015).
    """
    d = digests(rows)
    return {"ids": int_array(d.series), "days": int_array(d.days), "counts": int_array(d.counts),
            "digests": b"".join(d.day_digests) if whole_days else b"", "channel": channel,
            "sources": rows.select("source_id").unique()["source_id"].to_list(), "listed": SOURCES_LISTED,
            "n": rows.height, "series": len(np.unique(d.series)), "t_min": rows["t"].min(), "t_max": rows["t"].max(),
            "digest": d.batch, "whole_days": whole_days, "n_days": len(d.day_digests) if whole_days else None,
            "n_pending": None if whole_days else len(d.day_digests),
            "days_sha256": d.days_sha256 if whole_days else None}


def int_array(values: np.ndarray) -> str:
    """A PostgreSQL array literal: thousands of numbers pass as one string, not one adapted object each."""
    return "{" + ",".join(map(str, values.tolist())) + "}"


def append_record(cur: psycopg.Cursor, record: dict) -> None:
    """Append the chained record, as the trigger function does (the days were queued for QC before the rows
    were written, `observations.merge`).

    Actor and change come from the transaction's `ecomon.actor` / `ecomon.change` settings
    (`quality.audit.attribute`), with the trigger's defaults.
    """
    cur.execute(
        """WITH s AS (SELECT coalesce(nullif(current_setting('ecomon.change', true), ''), 'ingest') AS change,
                             coalesce(nullif(current_setting('ecomon.actor', true), ''), 'db:' || current_user) AS actor),
           days AS (SELECT d.series_id, date '2000-01-01' + d.day AS day, d.n,
                           substring(%(digests)s::bytea FROM (d.i::integer - 1) * 32 + 1 FOR 32) AS digest
                    FROM unnest(%(ids)s::text::integer[], %(days)s::text::integer[], %(counts)s::text::integer[])
                         WITH ORDINALITY AS d(series_id, day, n, i)),
           pending AS (INSERT INTO observation_day_pending (series_id, day) SELECT series_id, day FROM days
                       WHERE NOT %(whole_days)s ON CONFLICT (series_id, day) DO UPDATE SET queued_at = now()),
           src AS (SELECT array_agg(source ORDER BY source) AS sources
                   FROM (SELECT %(channel)s || ':' || id AS source FROM unnest(%(sources)s::bigint[]) AS id
                         ORDER BY 1 LIMIT %(listed)s) x),
           event AS (
               INSERT INTO audit_event (actor, action, target, detail)
               SELECT s.actor, 'observation.' || s.change || '.insert', 'observation',
                      jsonb_strip_nulls(jsonb_build_object(
                          'rows', %(n)s::bigint, 'series', %(series)s::integer, 't_min', %(t_min)s::timestamptz,
                          't_max', %(t_max)s::timestamptz, 'sha256', %(digest)s::text, 'digest', 'obs-v2',
                          'sources', CASE WHEN s.change = 'ingest' THEN to_jsonb(src.sources) END,
                          'days', %(n_days)s::integer, 'days_sha256', %(days_sha256)s::text,
                          'days_pending', %(n_pending)s::integer))
               FROM s, src RETURNING seq)
           INSERT INTO observation_day_state (series_id, day, seq, n, digest)
           SELECT days.series_id, days.day, event.seq, days.n, days.digest FROM days, event
           WHERE %(whole_days)s""",
        record)
