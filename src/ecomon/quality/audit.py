"""Tamper-evident audit log ("全程留痕"): verify the SHA-256 chain of `audit_event`, Merkle checkpoints, export.

Appending happens in the database (trigger `audit_event_chain`, migration 0005): every inserted row gets the next
gap-free `seq`, the previous row's hash and hash = SHA-256(prev_hash ‖ payload). Observation writes append one
record per statement with the batch digest, so the chain costs one row per batch, not per datum.

Verification recomputes every hash here, in Python, from the stored fields (it trusts no database function),
checks each link, the sequence, the head and every Merkle checkpoint (RFC 6962 tree over record hashes), and
names the first broken, deleted, inserted or reordered record. Checkpoints exported to a file and kept outside
the database also reveal a rewrite of the whole chain by someone with database superuser rights.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

GENESIS = bytes(32)


def field(text: str | None) -> bytes:
    """One payload field: `<octets>:<text>`, or `~` for NULL (unambiguous without escaping)."""
    if text is None:
        return b"~"
    raw = text.encode()
    return b"%d:" % len(raw) + raw


def payload(at: datetime, actor: str, action: str, target: str | None, detail: str, ip: str | None) -> bytes:
    """The hashed bytes of a record; `detail` is PostgreSQL's canonical jsonb text of the stored value."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return b"".join(field(x) for x in (stamp, actor, action, target, detail, ip))


def record_hash(prev_hash: bytes, body: bytes) -> bytes:
    return hashlib.sha256(prev_hash + body).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 Merkle Tree Hash: leaf = H(0x00 ‖ d), node = H(0x01 ‖ left ‖ right); empty tree = H("").

    Built bottom-up; an unpaired last node moves up unchanged, which yields the same tree as the RFC's split at
    the largest power of two below n.
    """
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


@dataclass(frozen=True)
class Record:
    id: int
    seq: int | None
    prev_hash: bytes | None
    hash: bytes | None
    body: bytes


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with the chain: kind is edited | deleted | inserted | reordered | checkpoint."""

    kind: str
    seq: int | None
    record_id: int | None
    message: str


@dataclass(frozen=True)
class Checkpoint:
    upto_seq: int
    head_hash: str
    merkle_root: str
    created_at: str
    created_by: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


@dataclass(frozen=True)
class Report:
    records: int
    head_seq: int
    checkpoints: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def load_records(conn: psycopg.Connection) -> list[Record]:
    """Every audit record in chain order (seq; rows without a seq were inserted around the chain, last)."""
    rows = conn.execute(
        """SELECT id, seq, prev_hash, hash, at, actor, action, target, detail::text, ip
           FROM audit_event ORDER BY seq NULLS LAST, id""").fetchall()
    return [Record(r[0], r[1], r[2] and bytes(r[2]), r[3] and bytes(r[3]), payload(*r[4:])) for r in rows]


def check_chain(records: Sequence[Record]) -> Problem | None:
    """The first broken, deleted, inserted or reordered record of a chain given in seq order, or None."""
    position = {r.hash: i for i, r in enumerate(records) if r.hash is not None}
    expected, last_seq = GENESIS, 0
    for i, r in enumerate(records):
        if r.seq is None or r.hash is None or r.prev_hash is None:
            return Problem("inserted", r.seq, r.id, f"record id {r.id} was inserted around the chain (no hash)")
        if record_hash(r.prev_hash, r.body) != r.hash:
            return Problem("edited", r.seq, r.id, f"record seq {r.seq} (id {r.id}) was edited: its content no "
                                                  "longer matches its hash")
        if r.prev_hash != expected:
            linked = position.get(r.prev_hash)
            nxt = records[i + 1] if i + 1 < len(records) else None
            if linked is not None and linked > i:
                return Problem("reordered", r.seq, r.id, f"record seq {r.seq} (id {r.id}) is out of order: it "
                                                         f"follows id {records[linked].id} in the chain")
            if nxt is not None and nxt.prev_hash == expected:
                return Problem("inserted", r.seq, r.id, f"record seq {r.seq} (id {r.id}) was inserted: the next "
                                                        "record links past it")
            if linked is not None:
                prev = records[i - 1]
                return Problem("inserted", prev.seq, prev.id, f"record seq {prev.seq} (id {prev.id}) was "
                                                              f"inserted: seq {r.seq} links past it")
            if r.seq == last_seq + 1 and i > 0:
                prev = records[i - 1]
                return Problem("edited", prev.seq, prev.id, f"record seq {prev.seq} (id {prev.id}) was rewritten "
                                                            f"and re-hashed: seq {r.seq} links to its old hash")
            return Problem("deleted", r.seq, r.id, f"record(s) deleted before seq {r.seq} (id {r.id}): seq "
                                                   f"{last_seq + 1}..{r.seq - 1} missing, link broken")
        if r.seq != last_seq + 1:
            kind = "deleted" if r.seq > last_seq + 1 else "inserted"
            return Problem(kind, r.seq, r.id, f"sequence jumps from {last_seq} to {r.seq} at id {r.id}")
        expected, last_seq = r.hash, r.seq
    return None


def check_checkpoints(records: Sequence[Record], checkpoints: Iterable[Checkpoint], where: str) -> Problem | None:
    """Each checkpoint's root must equal the Merkle root of record hashes 1..upto_seq as stored now."""
    hashes = [r.hash or b"" for r in records]
    for cp in sorted(checkpoints, key=lambda c: c.upto_seq):
        if cp.upto_seq > len(hashes):
            return Problem("deleted", cp.upto_seq, None,
                           f"{where}: checkpoint of {cp.created_at} covers {cp.upto_seq} records, only "
                           f"{len(hashes)} exist: records deleted at the end")
        if hashes[cp.upto_seq - 1].hex() != cp.head_hash or merkle_root(hashes[:cp.upto_seq]).hex() != cp.merkle_root:
            return Problem("checkpoint", cp.upto_seq, None,
                           f"{where}: records 1..{cp.upto_seq} differ from the checkpoint of {cp.created_at} "
                           "(the chain was rewritten)")
    return None


def stored_checkpoints(conn: psycopg.Connection) -> list[Checkpoint]:
    rows = conn.execute("SELECT upto_seq, head_hash, merkle_root, created_at, created_by FROM audit_checkpoint "
                        "ORDER BY upto_seq").fetchall()
    return [Checkpoint(r[0], bytes(r[1]).hex(), bytes(r[2]).hex(), r[3].astimezone(UTC).isoformat(), r[4])
            for r in rows]


def read_exported(path: Path) -> list[Checkpoint]:
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(Checkpoint(**json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path} line {n}: not a checkpoint record ({exc})") from exc
    return out


def verify(conn: psycopg.Connection, exported: Sequence[Checkpoint] = ()) -> Report:
    """Recompute the whole chain, compare the head and every stored and exported checkpoint."""
    records = load_records(conn)
    stored = stored_checkpoints(conn)
    head = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
    problem = check_chain(records)
    if problem is None and head is not None:
        last = records[-1] if records else None
        last_seq = last.seq or 0 if last else 0
        if head[0] < last_seq:
            problem = Problem("inserted", last_seq, last.id if last else None,
                              f"records appended around the application: the chain head is seq {head[0]}, the "
                              f"table ends at seq {last_seq}")
        elif head[0] != last_seq or bytes(head[1]) != (last.hash if last else GENESIS):
            problem = Problem("deleted", head[0], None,
                              f"records deleted at the end: the chain head is seq {head[0]}, the table ends at "
                              f"seq {last_seq}")
    problem = (problem or check_checkpoints(records, stored, "stored checkpoint")
               or check_checkpoints(records, exported, "exported checkpoint"))
    return Report(len(records), records[-1].seq or 0 if records else 0, len(stored) + len(exported), problem)


def checkpoint(conn: psycopg.Connection, by: str) -> Checkpoint | None:
    """Store a Merkle checkpoint over all records so far (after verifying them); None if nothing new."""
    records = load_records(conn)
    problem = check_chain(records)
    if problem is not None:
        raise ValueError(f"refusing to checkpoint a broken chain: {problem.message}")
    if not records:
        return None
    last = conn.execute("SELECT max(upto_seq) FROM audit_checkpoint").fetchone()[0]  # type: ignore[index]
    if last == records[-1].seq:
        return None
    hashes = [r.hash for r in records]
    root = merkle_root(hashes)  # type: ignore[arg-type]
    at = conn.execute(
        """INSERT INTO audit_checkpoint (upto_seq, head_hash, merkle_root, created_by) VALUES (%s, %s, %s, %s)
           RETURNING created_at""", (records[-1].seq, records[-1].hash, root, by)).fetchone()[0]  # type: ignore[index]
    return Checkpoint(records[-1].seq, records[-1].hash.hex(), root.hex(),  # type: ignore[union-attr,arg-type]
                      at.astimezone(UTC).isoformat(), by)


def export(conn: psycopg.Connection, path: Path) -> int:
    """Write every stored checkpoint as JSON lines (keep the file outside the database host)."""
    cps = stored_checkpoints(conn)
    path.write_text("".join(cp.to_json() + "\n" for cp in cps))
    return len(cps)


def append(conn: psycopg.Connection, actor: str, action: str, target: str | None = None,
           detail: dict | None = None, ip: str | None = None) -> None:
    """Append one record from synchronous code (CLI, workers); the chain fields are set by the database."""
    conn.execute("INSERT INTO audit_event (actor, action, target, detail, ip) VALUES (%s, %s, %s, %s, %s)",
                 (actor, action, target, json.dumps(detail or {}, ensure_ascii=False), ip))


def attribute(conn: psycopg.Connection, actor: str, change: str) -> None:
    """Name who makes the following observation writes of this transaction and why (the per-batch audit record)."""
    conn.execute("SELECT set_config('ecomon.actor', %s, true), set_config('ecomon.change', %s, true)",
                 (actor, change))
