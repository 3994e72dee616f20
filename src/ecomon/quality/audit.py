"""Tamper-evident audit log ("全程留痕"): verify the SHA-256 chain of `audit_event`, Merkle checkpoints, export.

Appending happens in the database (trigger `audit_event_chain`, migration 0005): every inserted row gets the next
gap-free `seq`, the previous row's hash and hash = SHA-256(prev_hash ‖ payload). Observation writes append one
record per statement with the batch digest, so the chain costs one row per batch, not per datum.

Verification recomputes every hash here, in Python, from the stored fields (it trusts no database function),
checks each link, the sequence, the head and every Merkle checkpoint (RFC 6962 tree over record hashes), and
names the first broken, deleted, inserted or reordered record. Checkpoints are signed with the installation's
Ed25519 key (`audit_keys`, migration 0014); exported to a file and kept outside the database with the public key,
they also reveal a rewrite of the whole chain by someone with database superuser rights. The observations
themselves are checked against the chain by `audit_data`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecomon.config import get_settings
from ecomon.quality import audit_keys

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
    """The first thing wrong: kind is edited | deleted | inserted | reordered | checkpoint | signature."""

    kind: str
    seq: int | None
    record_id: int | None
    message: str


@dataclass(frozen=True)
class Checkpoint:
    """Records 1..upto_seq as of created_at; signed (Ed25519, hex) by key_fingerprint unless taken before 0014."""

    upto_seq: int
    head_hash: str
    merkle_root: str
    created_at: str
    created_by: str
    key_fingerprint: str | None = None
    signature: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    def message(self) -> bytes:
        return audit_keys.checkpoint_message(self.upto_seq, self.head_hash, self.merkle_root, self.created_at,
                                             self.key_fingerprint or "")


@dataclass(frozen=True)
class Report:
    records: int
    head_seq: int
    checkpoints: int
    problem: Problem | None
    signed: int = 0

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
    rows = conn.execute("SELECT upto_seq, head_hash, merkle_root, created_at, created_by, key_fingerprint, "
                        "signature FROM audit_checkpoint ORDER BY upto_seq, id").fetchall()
    return [Checkpoint(r[0], bytes(r[1]).hex(), bytes(r[2]).hex(), audit_keys.stamp(r[3]), r[4], r[5],
                       bytes(r[6]).hex() if r[6] is not None else None) for r in rows]


def read_exported(path: Path) -> list[Checkpoint]:
    """Checkpoints from an exported file: JSON lines (`checkpoint --export`), one JSON object or a JSON array."""
    text = path.read_text()
    try:
        whole = json.loads(text)
        items = whole if isinstance(whole, list) else [whole]
        numbered = list(enumerate(items, 1))
    except ValueError:
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    out = []
    for n, item in numbered:
        try:
            out.append(Checkpoint(**(json.loads(item) if isinstance(item, str) else item)))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path} item {n}: not a checkpoint record ({exc})") from exc
    return out


def _when(cp: Checkpoint) -> datetime:
    return datetime.fromisoformat(cp.created_at)


def _signature_problem(cp: Checkpoint, key: Ed25519PublicKey, where: str, whose: str) -> Problem | None:
    try:
        valid = cp.signature is not None and audit_keys.signature_valid(key, cp.message(), bytes.fromhex(cp.signature))
    except ValueError:
        valid = False
    if valid:
        return None
    return Problem("signature", cp.upto_seq, None, f"{where} of {cp.created_at} (records 1..{cp.upto_seq}): the "
                                                   f"signature does not verify with {whose} (forged or altered)")


def check_signatures(conn: psycopg.Connection, checkpoints: Iterable[Checkpoint], where: str,
                     trusted: Ed25519PublicKey | None = None) -> Problem | None:
    """Each checkpoint's Ed25519 signature, by `trusted` if given (an outside auditor's key file, the database's
    keys not consulted), else by the registered key it names. A registered key needs its chained registration
    record; a checkpoint must be dated within its key's term (from registration until the next key); unsigned
    checkpoints are accepted only from before the first key was registered (migration 0014)."""
    if trusted is not None:
        fp = audit_keys.fingerprint(trusted)
        for cp in checkpoints:
            if cp.key_fingerprint != fp:
                return Problem("signature", cp.upto_seq, None,
                               f"{where} of {cp.created_at} is signed by key {cp.key_fingerprint or '(none)'}, "
                               f"not by the given public key {fp}")
            problem = _signature_problem(cp, trusted, where, "the given public key")
            if problem:
                return problem
        return None
    keys = audit_keys.registered(conn)
    chained = {t.removeprefix("key:"): d.get("public_key") for t, d in conn.execute(
        "SELECT target, detail FROM audit_event WHERE action = 'audit.key.register'").fetchall()}
    terms = {k.fingerprint: (k, keys[i + 1].created_at if i + 1 < len(keys) else None) for i, k in enumerate(keys)}
    for fp, (key, _) in terms.items():
        if chained.get(fp) != audit_keys.raw_public(key.public_key).hex():
            return Problem("signature", None, None, f"signing key {fp} is registered without its chained "
                                                    "audit.key.register record (slipped into the key table)")
    for cp in checkpoints:
        if cp.signature is None:
            if keys and _when(cp) >= keys[0].created_at:
                return Problem("signature", cp.upto_seq, None, f"{where} of {cp.created_at} is unsigned although "
                                                               "checkpoints are signed since "
                                                               f"{audit_keys.stamp(keys[0].created_at)}")
            continue
        if cp.key_fingerprint not in terms:
            return Problem("signature", cp.upto_seq, None, f"{where} of {cp.created_at} is signed by an "
                                                           f"unregistered key {cp.key_fingerprint}")
        key, until = terms[cp.key_fingerprint]
        problem = _signature_problem(cp, key.public_key, where, f"registered key {key.fingerprint}")
        if problem:
            return problem
        if _when(cp) < key.created_at or (until is not None and _when(cp) >= until):
            return Problem("signature", cp.upto_seq, None, f"{where} of {cp.created_at} is dated outside the term "
                                                           f"of its key {key.fingerprint} (a retired key signing)")
    return None


def verify(conn: psycopg.Connection, exported: Sequence[Checkpoint] = (),
           trusted: Ed25519PublicKey | None = None) -> Report:
    """Recompute the whole chain, compare the head and every stored and exported checkpoint, check signatures.

    With `trusted` (the public key an outside auditor kept), exported checkpoints must be signed by that key;
    the database's key table is then not relied on for them.
    """
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
    problem = (problem
               or check_signatures(conn, exported, "exported checkpoint", trusted)
               or check_checkpoints(records, exported, "exported checkpoint")
               or check_signatures(conn, stored, "stored checkpoint")
               or check_checkpoints(records, stored, "stored checkpoint"))
    signed = sum(cp.signature is not None for cp in (*stored, *exported))
    return Report(len(records), records[-1].seq or 0 if records else 0, len(stored) + len(exported), problem, signed)


def checkpoint(conn: psycopg.Connection, by: str, home: Path | None = None) -> Checkpoint | None:
    """Store a signed Merkle checkpoint over all records so far (after verifying them); None if nothing new.

    The signing key is the installation's (ECOMON_HOME/secrets, `home` overrides), created and registered on
    first use — before the records are read, so its registration record is covered too.
    """
    private, fp = audit_keys.signer(conn, home or get_settings().home_path, by)
    records = load_records(conn)
    problem = check_chain(records)
    if problem is not None:
        raise ValueError(f"refusing to checkpoint a broken chain: {problem.message}")
    if not records:
        return None
    last = conn.execute("SELECT max(upto_seq) FROM audit_checkpoint").fetchone()[0]  # type: ignore[index]
    if last == records[-1].seq:
        return None
    head: bytes = records[-1].hash  # type: ignore[assignment]
    root = merkle_root([r.hash for r in records])  # type: ignore[misc]
    at = datetime.now(UTC)
    unsigned = Checkpoint(records[-1].seq, head.hex(), root.hex(), audit_keys.stamp(at), by,  # type: ignore[arg-type]
                          fp)
    signature = private.sign(unsigned.message())
    conn.execute("""INSERT INTO audit_checkpoint (upto_seq, head_hash, merkle_root, created_at, created_by,
                                                  key_fingerprint, signature)
                    VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                 (unsigned.upto_seq, head, root, at, by, fp, signature))
    return Checkpoint(**{**unsigned.__dict__, "signature": signature.hex()})


def export_lines(conn: psycopg.Connection) -> str:
    """Every stored checkpoint as JSON lines (keep them outside the database host)."""
    return "".join(cp.to_json() + "\n" for cp in stored_checkpoints(conn))


def append(conn: psycopg.Connection, actor: str, action: str, target: str | None = None,
           detail: dict | None = None, ip: str | None = None) -> None:
    """Append one record from synchronous code (CLI, workers); the chain fields are set by the database."""
    conn.execute("INSERT INTO audit_event (actor, action, target, detail, ip) VALUES (%s, %s, %s, %s, %s)",
                 (actor, action, target, json.dumps(detail or {}, ensure_ascii=False), ip))


def attribute(conn: psycopg.Connection, actor: str, change: str) -> None:
    """Name who makes the following observation writes of this transaction and why (the per-batch audit record)."""
    conn.execute("SELECT set_config('ecomon.actor', %s, true), set_config('ecomon.change', %s, true)",
                 (actor, change))
