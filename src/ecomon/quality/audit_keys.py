"""Ed25519 signing of audit checkpoints: the installation's key pair, its registration, signing and checking.

The private key is generated once per installation in ECOMON_HOME/secrets (mode 0600, never in the database or
the repository); the public key is registered in `audit_signing_key` (migration 0014) with its fingerprint and a
chained `audit.key.register` record. A checkpoint is signed over a fixed byte message (`checkpoint_message`), so
anyone holding only the public key file can check an exported checkpoint without trusting the database.
Rotation registers a new pair and removes the old private key; checkpoints signed before stay verifiable, and a
checkpoint dated after its key was superseded is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE_FILE = "audit-signing-key.pem"
PUBLIC_FILE = "audit-signing-key.pub.pem"
DOMAIN = b"ecomon audit checkpoint v1\n"


class SigningKeyError(ValueError):
    """The installation cannot sign: its key is missing, unreadable or not the registered one."""


@dataclass(frozen=True)
class RegisteredKey:
    fingerprint: str
    public_key: Ed25519PublicKey
    created_at: datetime


def stamp(at: datetime) -> str:
    """The one text form of a checkpoint time (UTC, microseconds), as signed and exported."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw public key octets, hex (what `audit_signing_key.fingerprint` holds)."""
    return hashlib.sha256(raw_public(key)).hexdigest()


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def read_public_key(path: Path) -> Ed25519PublicKey:
    """A public key file as exported (PEM SubjectPublicKeyInfo); a clear error for anything else."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError as exc:
        raise ValueError(f"{path}: not a PEM public key ({exc})") from exc
    if isinstance(key, Ed25519PublicKey):
        return key
    raise ValueError(f"{path}: not an Ed25519 public key")


def checkpoint_message(upto_seq: int, head_hash: str, merkle_root: str, created_at: str, key: str) -> bytes:
    """The signed bytes: a domain tag, then canonical JSON of the range 1..upto_seq, head, root, time and key."""
    body = {"first_seq": 1, "upto_seq": upto_seq, "head_hash": head_hash, "merkle_root": merkle_root,
            "created_at": created_at, "key_fingerprint": key}
    return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def signature_valid(key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def secrets_dir(home: Path) -> Path:
    directory = home / "secrets"
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def load_private(home: Path) -> Ed25519PrivateKey | None:
    path = home / "secrets" / PRIVATE_FILE
    if not path.exists():
        return None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 private key")
    return key


def _write_pair(home: Path, key: Ed25519PrivateKey) -> None:
    """Write the pair; the private key through a new 0600 file, replaced atomically."""
    directory = secrets_dir(home)
    tmp = directory / (PRIVATE_FILE + ".new")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    os.replace(tmp, directory / PRIVATE_FILE)
    (directory / PUBLIC_FILE).write_bytes(public_pem(key.public_key()))


def registered(conn: psycopg.Connection) -> list[RegisteredKey]:
    """Every registered key, oldest first (the last one is the active signer)."""
    rows = conn.execute("SELECT fingerprint, public_key, created_at FROM audit_signing_key "
                        "ORDER BY created_at, fingerprint").fetchall()
    return [RegisteredKey(r[0], Ed25519PublicKey.from_public_bytes(bytes(r[1])), r[2]) for r in rows]


def register(conn: psycopg.Connection, key: Ed25519PublicKey, by: str, replaces: str | None = None) -> str:
    """Register a public key (table row + chained record) in the caller's transaction; returns its fingerprint."""
    fp = fingerprint(key)
    at = datetime.now(UTC)
    conn.execute("INSERT INTO audit_signing_key (fingerprint, public_key, created_at, created_by) "
                 "VALUES (%s, %s, %s, %s)", (fp, raw_public(key), at, by))
    detail = {"fingerprint": fp, "public_key": raw_public(key).hex(), "created_at": stamp(at)}
    if replaces:
        detail["replaces"] = replaces
    conn.execute("INSERT INTO audit_event (actor, action, target, detail) VALUES (%s, 'audit.key.register', %s, %s)",
                 (by, f"key:{fp}", json.dumps(detail)))
    return fp


def signer(conn: psycopg.Connection, home: Path, by: str) -> tuple[Ed25519PrivateKey, str]:
    """The installation's signing key and fingerprint, created and registered on first use.

    Refuses when the database's active key is another one (a second installation on the same database, or a
    key file restored from an old backup): signing with it would make checkpoints nobody expects.
    """
    keys = registered(conn)
    private = load_private(home)
    if private is None:
        if keys:
            raise SigningKeyError(f"no signing key in {home / 'secrets'} but the database has one registered "
                                  f"({keys[-1].fingerprint[:16]}…); run `ecomon audit rotate-key` to register "
                                  "a new one for this installation")
        private = Ed25519PrivateKey.generate()
        _write_pair(home, private)
        return private, register(conn, private.public_key(), by)
    fp = fingerprint(private.public_key())
    if not keys:
        return private, register(conn, private.public_key(), by)
    if keys[-1].fingerprint != fp:
        raise SigningKeyError(f"the signing key in {home / 'secrets'} ({fp[:16]}…) is not the database's active "
                              f"key ({keys[-1].fingerprint[:16]}…); run `ecomon audit rotate-key`")
    return private, fp


def rotate(conn: psycopg.Connection, home: Path, by: str) -> tuple[str | None, str]:
    """Register a new key pair as the active signer and replace the private key file (old checkpoints stay
    verifiable by their registered public key). Returns (old fingerprint or None, new fingerprint); the caller
    commits — the new key file is written first, so a failed commit leaves a key the next rotation replaces."""
    keys = registered(conn)
    old = keys[-1].fingerprint if keys else None
    private = Ed25519PrivateKey.generate()
    _write_pair(home, private)
    return old, register(conn, private.public_key(), by, replaces=old)
