"""Per-device SM4 keys (HJ 212-2025 §6.4.2-6.4.3): each device its own 16-byte key, replaced at least every 90 days,
never a fixed or patterned value. At rest a key is sealed with AES-256-GCM under the installation key kept in
ECOMON_HOME/secrets (runtime.secrets), bound to its device id, so neither a database dump nor a copied row
reveals or moves it. Keys are never logged: reprs and errors name the device, not the key.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ecomon.ingest.hj212.session.store import queue_command
from ecomon.runtime.secrets import secret

SECRET_NAME = "hj212-device-keys"
KEY_CHARS = string.ascii_letters + string.digits  # NewSK travels in CP as 16 letters/digits (2025 App. C C8)
KEY_LEN = 16


class DeviceKeyError(ValueError):
    """A key that cannot be used or unsealed; the message never contains key material."""


@dataclass(frozen=True, slots=True)
class DeviceKeys:
    active: bytes | None
    pending: bytes | None

    def __repr__(self) -> str:  # keys stay out of logs and tracebacks
        return f"DeviceKeys(active={'set' if self.active else None}, pending={'set' if self.pending else None})"


def installation_key(home: Path) -> bytes:
    return hashlib.sha256(secret(home, SECRET_NAME, 32).encode()).digest()


def new_key() -> bytes:
    """A random key of 16 letters/digits (§6.4.3 f/g: no fixed or regular keys), sendable as NewSK."""
    return "".join(secrets.choice(KEY_CHARS) for _ in range(KEY_LEN)).encode("ascii")


def parse_key(text: str) -> bytes:
    """A key given by an installer: 16 letters/digits as the device shows it, or 32 hex digits of raw bytes."""
    if len(text) == KEY_LEN and all(c in KEY_CHARS for c in text):
        return text.encode("ascii")
    if len(text) == 2 * KEY_LEN:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    raise DeviceKeyError("an SM4 key is 16 letters/digits or 32 hexadecimal digits")


def seal(key: bytes, master: bytes, device_id: int) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(master).encrypt(nonce, key, f"device:{device_id}".encode())


def unseal(sealed: bytes, master: bytes, device_id: int) -> bytes:
    try:
        return AESGCM(master).decrypt(sealed[:12], sealed[12:], f"device:{device_id}".encode())
    except InvalidTag as exc:
        raise DeviceKeyError(f"the SM4 key of device {device_id} does not unseal with this installation's key") from exc


def set_active_key(conn: psycopg.Connection, device_id: int, key: bytes, master: bytes, by: str) -> None:
    """Make `key` the device's key now (installer configured it on the device); the previous one is retired."""
    conn.execute("UPDATE device_key SET state = 'retired', retired_at = now() WHERE device_id = %s "
                 "AND state IN ('active', 'pending')", (device_id,))
    conn.execute("INSERT INTO device_key (device_id, sealed, state, created_by, activated_at) "
                 "VALUES (%s, %s, 'active', %s, now())", (device_id, seal(key, master, device_id), by))


def add_pending_key(conn: psycopg.Connection, device_id: int, key: bytes, master: bytes, sk_create_time: str,
                    by: str) -> None:
    """Store the next key; it is used only once the device confirms the 1014 set-key command."""
    conn.execute("UPDATE device_key SET state = 'retired', retired_at = now() WHERE device_id = %s "
                 "AND state = 'pending'", (device_id,))
    conn.execute("INSERT INTO device_key (device_id, sealed, state, sk_create_time, created_by) "
                 "VALUES (%s, %s, 'pending', %s, %s)", (device_id, seal(key, master, device_id), sk_create_time, by))


def activate_pending(conn: psycopg.Connection, device_id: int) -> bool:
    """The device confirmed its new key: pending → active, active → retired. False if nothing was pending."""
    if conn.execute("SELECT 1 FROM device_key WHERE device_id = %s AND state = 'pending'", (device_id,)
                    ).fetchone() is None:
        return False
    conn.execute("UPDATE device_key SET state = 'retired', retired_at = now() WHERE device_id = %s "
                 "AND state = 'active'", (device_id,))
    conn.execute("UPDATE device_key SET state = 'active', activated_at = now() WHERE device_id = %s "
                 "AND state = 'pending'", (device_id,))
    return True


def load_keys(conn: psycopg.Connection, master: bytes, device_id: int | None = None) -> dict[int, DeviceKeys]:
    """Unsealed active and pending keys per device (all devices, or one)."""
    sql = "SELECT device_id, state, sealed FROM device_key WHERE state IN ('active', 'pending')"
    rows = conn.execute(sql + (" AND device_id = %s" if device_id is not None else ""),
                        (device_id,) if device_id is not None else ()).fetchall()
    found: dict[int, dict[str, bytes]] = {}
    for dev, state, sealed in rows:
        found.setdefault(dev, {})[state] = unseal(bytes(sealed), master, dev)
    return {dev: DeviceKeys(k.get("active"), k.get("pending")) for dev, k in found.items()}


def start_rotation(database_url: str, device_id: int, master: bytes, by: str) -> int:
    """Generate the next key, keep it pending and queue the 1014 set-key command (HJ 212-2025 §6.4.3, App. C C8)
    that carries it to the device under its current key. Returns the command id."""
    from datetime import datetime

    from ecomon.store.db import connect

    created = datetime.now().strftime("%Y%m%d%H%M%S%f")[:17]
    with connect(database_url) as conn:
        if conn.execute("SELECT 1 FROM device_key WHERE device_id = %s AND state = 'active'", (device_id,)
                        ).fetchone() is None:
            raise DeviceKeyError(f"device {device_id} has no current SM4 key to protect the new one; "
                                 "set the first key at installation (--sm4-key)")
        add_pending_key(conn, device_id, new_key(), master, created, by)
        conn.execute("UPDATE device_command SET state = 'cancelled', finished_at = now(), note = 'superseded' "
                     "WHERE device_id = %s AND origin = 'key_rotation' AND state IN ('queued', 'sent', 'accepted')",
                     (device_id,))
        command_id = queue_command(conn, device_id, "1014", {"SKCreateTime": created}, "key_rotation", by)
        conn.commit()
    return command_id


def activate_rotation(database_url: str, device_id: int) -> bool:
    from ecomon.store.db import connect

    with connect(database_url) as conn:
        done = activate_pending(conn, device_id)
        conn.commit()
    return done
