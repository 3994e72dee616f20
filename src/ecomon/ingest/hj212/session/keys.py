"""Per-device SM4 keys (HJ 212-2025 §6.4.2-6.4.3): each device its own 16-byte key, replaced at least every 90 days,
never a fixed or patterned value. At rest a key is sealed with AES-256-GCM under the installation key kept in
ECOMON_HOME/secrets (runtime.secrets), bound to its device id, so neither a database dump nor a copied row
reveals or moves it. Keys are never logged: reprs and errors name the device, not the key.
"""

from __future__ import annotations

import hashlib
import json
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


def seal(secret_bytes: bytes, master: bytes, device_id: int, purpose: str = "device") -> bytes:
    """AES-256-GCM with the device id and the purpose as associated data: a sealed value unseals only for the
    device and the use it was sealed for (an SM4 key, "device"; a new access password, "device-password")."""
    nonce = os.urandom(12)
    return nonce + AESGCM(master).encrypt(nonce, secret_bytes, f"{purpose}:{device_id}".encode())


def unseal(sealed: bytes, master: bytes, device_id: int, purpose: str = "device") -> bytes:
    try:
        return AESGCM(master).decrypt(sealed[:12], sealed[12:], f"{purpose}:{device_id}".encode())
    except InvalidTag as exc:
        raise DeviceKeyError(f"a sealed secret of device {device_id} does not unseal with this installation's "
                             "key") from exc


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
    that carries it to the device under its current key; an open rotation is superseded. Returns the command id."""
    from ecomon.store.db import connect

    with connect(database_url) as conn:
        if conn.execute("SELECT 1 FROM device_key WHERE device_id = %s AND state = 'active'", (device_id,)
                        ).fetchone() is None:
            raise DeviceKeyError(f"device {device_id} has no current SM4 key to protect the new one; "
                                 "set the first key at installation (--sm4-key)")
        conn.execute("UPDATE device_command SET state = 'cancelled', finished_at = now(), note = 'superseded' "
                     "WHERE device_id = %s AND origin = 'key_rotation' AND state IN ('queued', 'sent', 'accepted')",
                     (device_id,))
        command_id = _queue_rotation(conn, device_id, master, by)
        conn.commit()
    return command_id


def _queue_rotation(conn: psycopg.Connection, device_id: int, master: bytes, by: str) -> int:
    from datetime import datetime

    created = datetime.now().strftime("%Y%m%d%H%M%S%f")[:17]
    add_pending_key(conn, device_id, new_key(), master, created, by)
    return queue_command(conn, device_id, "1014", {"SKCreateTime": created}, "key_rotation", by)


# Active keys older than the age limit, of the given devices, with no rotation open and none started within the
# retry interval (a device that refuses or does not answer is asked again later, not every check).
DUE_SQL = """
SELECT k.device_id, d.mn, extract(epoch FROM now() - k.activated_at) / 86400 AS age_days
FROM device_key k JOIN device d ON d.id = k.device_id
WHERE k.state = 'active' AND k.device_id = ANY(%(devices)s) AND d.state = 'active'
  AND k.activated_at < now() - make_interval(secs => %(max_age_s)s)
  AND NOT EXISTS (SELECT 1 FROM device_command c WHERE c.device_id = k.device_id AND c.origin = 'key_rotation'
                  AND (c.state IN ('queued', 'sent', 'accepted')
                       OR c.requested_at > now() - make_interval(secs => %(retry_s)s)))
"""


# Key age and the next rotation per device with an active key (`%(max_age_s)s`: the rotation age in seconds).
KEY_STATUS_SQL = """
SELECT d.mn, d.protocol_version, k.activated_at, round((extract(epoch FROM now() - k.activated_at) / 86400)::numeric,
       2)::float AS age_days, k.activated_at + make_interval(secs => %(max_age_s)s) AS due_at,
       k.activated_at + make_interval(secs => %(max_age_s)s) <= now() AS due,
       p.created_at AS pending_since, r.id AS last_rotation, r.state AS last_rotation_state,
       r.requested_by AS last_rotation_by, r.requested_at AS last_rotation_at
FROM device d
JOIN device_key k ON k.device_id = d.id AND k.state = 'active'
LEFT JOIN device_key p ON p.device_id = d.id AND p.state = 'pending'
LEFT JOIN LATERAL (SELECT c.id, c.state, c.requested_by, c.requested_at FROM device_command c
                   WHERE c.device_id = d.id AND c.origin = 'key_rotation' ORDER BY c.id DESC LIMIT 1) r ON true
"""


@dataclass(frozen=True, slots=True)
class StartedRotation:
    device_id: int
    mn: str
    command_id: int
    age_days: float


def start_due_rotations(conn: psycopg.Connection, device_ids: list[int], master: bytes, max_age_days: float,
                        retry_s: float, by: str) -> list[StartedRotation]:
    """Start the 1014 rotation of every listed device whose active key is older than `max_age_days` (HJ 212-2025
    §6.4.3: replaced at least every 90 days). Each start locks the device row and checks again, so two gateways
    briefly holding the same device never start two rotations at once. Recorded as a `key_rotation_started` event
    and an audit event; the key itself is never written anywhere but sealed."""
    args = {"devices": device_ids, "max_age_s": max_age_days * 86400, "retry_s": retry_s}
    started = []
    for device_id, _, _ in conn.execute(DUE_SQL, args).fetchall():
        with conn.transaction():
            conn.execute("SELECT 1 FROM device WHERE id = %s FOR UPDATE", (device_id,))
            row = conn.execute(DUE_SQL, {**args, "devices": [device_id]}).fetchone()
            if row is None:
                continue
            command_id = _queue_rotation(conn, device_id, master, by)
            detail = {"command": command_id, "age_days": round(float(row[2]), 2), "max_age_days": max_age_days}
            conn.execute("INSERT INTO device_event (device_id, kind, detail) VALUES (%s, 'key_rotation_started', %s)",
                         (device_id, json.dumps(detail)))
            conn.execute("INSERT INTO audit_event (actor, action, target, detail) VALUES (%s, %s, %s, %s)",
                         (by, "hj212.device.key_rotation", row[1], json.dumps({**detail, "scheduled": True})))
        started.append(StartedRotation(device_id, row[1], command_id, float(row[2])))
    return started


def activate_rotation(database_url: str, device_id: int) -> bool:
    from ecomon.store.db import connect

    with connect(database_url) as conn:
        done = activate_pending(conn, device_id)
        conn.commit()
    return done
