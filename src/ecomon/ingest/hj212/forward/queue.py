"""The store-and-forward queue in PostgreSQL (migrations 0010, 0012): filled by the writer inside the transaction
that archives the frames, drained in id order per target by the sender. Surviving restarts and an upper platform
that is down for hours is then just the database's durability; the backlog costs one small row per packet and target.

A frame that alone does not give its data (CP decrypted with the device's SM4 key, HJ 212-2025 §6.4, or a split set
reassembled from its sub-packets, HJ 212-2017 Table 3 PNUM/PNO) is queued with the decoded packet (`decoded`);
any other is re-read from the archive (`raw_frame`) and re-encoded strictly when sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from ecomon.ingest.hj212.codec import Packet, Version, decode
from ecomon.ingest.hj212.forward.relay import data_key


@dataclass(frozen=True, slots=True)
class Stored:
    """A data packet the writer has just stored, at a site or an enterprise outlet."""

    site_id: int | None
    outlet_id: int | None
    raw_frame_id: int
    packet: Packet
    decoded: bool  # the packet is not what the archived frame decodes to (SM4, reassembled): queue it itself


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    frame: bytes
    attempts: int
    decoded: dict[str, Any] | None = None

    def packet(self) -> Packet:
        """The packet to forward: the decoded one queued with the row, else the archived frame decoded
        leniently (raises Hj212Error if that no longer decodes)."""
        if self.decoded is not None:
            return Packet(self.decoded["header"], self.decoded["cp"], Version.HJ212_2017)
        return decode(self.frame, lenient=True)


def enqueue(cur: psycopg.Cursor, stored: Sequence[Stored]) -> int:
    """Queue every stored packet for every enabled target that receives its site or outlet; returns rows added.
    Called by the writer in its transaction: committed together with the frame or not at all."""
    if not stored:
        return 0
    targets: dict[tuple[str, int], list[int]] = {}
    for target_id, kind, place_id in cur.execute(
            "SELECT s.target_id, 'site', s.site_id FROM forward_site s JOIN forward_target t ON t.id = s.target_id "
            "WHERE t.enabled UNION ALL "
            "SELECT o.target_id, 'outlet', o.outlet_id FROM forward_outlet o JOIN forward_target t "
            "ON t.id = o.target_id WHERE t.enabled ORDER BY 1").fetchall():
        targets.setdefault((kind, place_id), []).append(target_id)
    rows = [(target_id, s.raw_frame_id, data_key(s.packet), _decoded(s))
            for s in stored
            for target_id in targets.get(("site", s.site_id) if s.site_id is not None else ("outlet", s.outlet_id),
                                         ())]
    if not rows:
        return 0
    target_ids, frame_ids, keys, decoded = zip(*rows, strict=True)
    cur.execute("INSERT INTO forward_queue (target_id, raw_frame_id, data_key, decoded) "
                "SELECT t, f, k, d::jsonb FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
                "AS u(t, f, k, d) ON CONFLICT DO NOTHING",
                (list(target_ids), list(frame_ids), list(keys), list(decoded)))
    return cur.rowcount


def _decoded(stored: Stored) -> str | None:
    if not stored.decoded:
        return None
    return json.dumps({"header": dict(stored.packet.header), "cp": dict(stored.packet.cp)}, ensure_ascii=False)


def pending(conn: psycopg.Connection, target_id: int, limit: int) -> list[Pending]:
    """The oldest unsent rows of a target, in the order they were queued."""
    rows = conn.execute(
        "SELECT q.id, r.frame, q.attempts, q.decoded FROM forward_queue q JOIN raw_frame r ON r.id = q.raw_frame_id "
        "WHERE q.target_id = %s AND q.sent_at IS NULL AND q.error IS NULL ORDER BY q.id LIMIT %s",
        (target_id, limit)).fetchall()
    return [Pending(row_id, bytes(frame), attempts, decoded) for row_id, frame, attempts, decoded in rows]


def mark_attempt(conn: psycopg.Connection, row_id: int) -> None:
    """Recorded before each copy goes out, so a forwarder killed while waiting for the ACK leaves a trace: the
    next forwarder then sends the packet as a re-send (RF=1, HJ 212-2025 Table 3)."""
    conn.execute("UPDATE forward_queue SET attempts = attempts + 1, last_attempt_at = now() WHERE id = %s",
                 (row_id,))


def mark_sent(conn: psycopg.Connection, row_id: int) -> None:
    conn.execute("UPDATE forward_queue SET sent_at = now() WHERE id = %s", (row_id,))


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
