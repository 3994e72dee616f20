"""The store-and-forward queue in PostgreSQL (migration 0010): filled by the writer inside the transaction that
archives the frames, drained in id order per target by the sender. Surviving restarts and an upper platform that
is down for hours is then just the database's durability; the backlog costs one small row per packet and target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from ecomon.ingest.hj212.codec import Packet
from ecomon.ingest.hj212.forward.relay import data_key


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    frame: bytes
    attempts: int


def enqueue(cur: psycopg.Cursor, stored: Sequence[tuple[int, int, Packet]]) -> int:
    """Queue (site_id, raw_frame_id, packet) for every enabled target that receives the site; returns rows added.
    Called by the writer in its transaction: committed together with the frame or not at all."""
    if not stored:
        return 0
    targets: dict[int, list[int]] = {}
    for target_id, site_id in cur.execute(
            "SELECT s.target_id, s.site_id FROM forward_site s JOIN forward_target t ON t.id = s.target_id "
            "WHERE t.enabled ORDER BY s.target_id").fetchall():
        targets.setdefault(site_id, []).append(target_id)
    rows = [(target_id, raw_frame_id, data_key(packet))
            for site_id, raw_frame_id, packet in stored for target_id in targets.get(site_id, ())]
    if not rows:
        return 0
    target_ids, frame_ids, keys = zip(*rows, strict=True)
    cur.execute("INSERT INTO forward_queue (target_id, raw_frame_id, data_key) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) ON CONFLICT DO NOTHING",
                (list(target_ids), list(frame_ids), list(keys)))
    return cur.rowcount


def pending(conn: psycopg.Connection, target_id: int, limit: int) -> list[Pending]:
    """The oldest unsent rows of a target, in the order they were queued."""
    rows = conn.execute(
        "SELECT q.id, r.frame, q.attempts FROM forward_queue q JOIN raw_frame r ON r.id = q.raw_frame_id "
        "WHERE q.target_id = %s AND q.sent_at IS NULL AND q.error IS NULL ORDER BY q.id LIMIT %s",
        (target_id, limit)).fetchall()
    return [Pending(row_id, bytes(frame), attempts) for row_id, frame, attempts in rows]


def mark_sent(conn: psycopg.Connection, row_id: int, attempts: int) -> None:
    conn.execute("UPDATE forward_queue SET sent_at = now(), attempts = attempts + %s, last_attempt_at = now() "
                 "WHERE id = %s", (attempts, row_id))


def mark_attempts(conn: psycopg.Connection, row_id: int, attempts: int) -> None:
    conn.execute("UPDATE forward_queue SET attempts = attempts + %s, last_attempt_at = now() WHERE id = %s",
                 (attempts, row_id))


def mark_error(conn: psycopg.Connection, row_id: int, error: str) -> None:
    """A frame that cannot be sent strictly (say, a 2005 MN without a mapping) is set aside with the reason, so
    it neither blocks the queue nor disappears; `forward list` counts these."""
    conn.execute("UPDATE forward_queue SET error = %s, last_attempt_at = now() WHERE id = %s", (error, row_id))


def backlog(conn: psycopg.Connection) -> dict[int, tuple[int, int, int]]:
    """target_id → (pending, sent, failed)."""
    rows = conn.execute(
        "SELECT target_id, count(*) FILTER (WHERE sent_at IS NULL AND error IS NULL), count(sent_at), "
        "count(error) FROM forward_queue GROUP BY target_id").fetchall()
    return {target_id: (waiting, sent, failed) for target_id, waiting, sent, failed in rows}
