"""Who may send: devices from the `device` table, authenticated by MN + PW (HJ 212-2017 Table 3: PW is the
access password). Passwords are stored as argon2 hashes; a verified (MN, PW) pair is cached so a device pays
for one hash per process, not per packet."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecomon.store.db import connect

# OWASP Password Storage Cheat Sheet minimum for argon2id (19 MiB, 2 passes, 1 lane): ~30 ms per check here,
# against ~250 ms for the library default, so a gateway restart re-authenticates thousands of stations in seconds.
# The 6-character HJ 212 PW gains little from a costlier hash; verify() reads the parameters from each hash.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
REFRESH_S = 30.0
UNKNOWN_RETRY_S = 2.0

# HJ 212-2017 Table 7 (QnRtn): 3 密码错误 / PW error, 4 MN 错误 / MN error.
QNRTN_PW_ERROR = "3"
QNRTN_MN_ERROR = "4"


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    mn: str
    password_hash: str
    site_id: int | None
    outlet_id: int | None
    state: str


@dataclass(frozen=True, slots=True)
class AuthResult:
    device: Device | None
    reject_reason: str | None
    qnrtn: str | None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def register_device(conn: psycopg.Connection, mn: str, password: str, *, site_id: int | None,
                    protocol_version: str = "2017", updated_by: str) -> int:
    """Insert or update a device (caller commits); the password is stored only as its argon2 hash."""
    row = conn.execute(
        """INSERT INTO device (mn, password_hash, protocol_version, site_id, updated_by)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (mn) DO UPDATE SET password_hash = excluded.password_hash,
               protocol_version = excluded.protocol_version, site_id = excluded.site_id,
               updated_by = excluded.updated_by, updated_at = now()
           RETURNING id""", (mn, hash_password(password), protocol_version, site_id, updated_by)).fetchone()
    assert row is not None
    return int(row[0])


class Directory:
    """Device table snapshot, refreshed every REFRESH_S seconds; an MN not in it is looked up on its own (at most
    once per UNKNOWN_RETRY_S, so a flood of unknown MNs cannot flood the database)."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._devices: dict[str, Device] = {}
        self._loaded_at = 0.0
        self._verified: dict[tuple[str, str], str] = {}  # (mn, pw) → the hash it was verified against
        self._lock = asyncio.Lock()
        self._unknown: dict[str, float] = {}  # MN → when it was last looked up in vain

    def _load(self, mn: str | None = None) -> dict[str, Device]:
        query = "SELECT id, mn, password_hash, site_id, outlet_id, state FROM device"
        with connect(self._url) as conn:
            rows = conn.execute(query + " WHERE mn = %s" if mn else query, (mn,) if mn else ()).fetchall()
        return {r[1]: Device(*r) for r in rows}

    async def _lookup(self, mn: str) -> Device | None:
        if time.monotonic() - self._unknown.get(mn, -UNKNOWN_RETRY_S) < UNKNOWN_RETRY_S:
            return None
        found = (await asyncio.to_thread(self._load, mn)).get(mn)
        if found is None:
            self._unknown[mn] = time.monotonic()
        else:
            self._devices[mn] = found
            self._unknown.pop(mn, None)
        return found

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._loaded_at > REFRESH_S:
                self._devices = await asyncio.to_thread(self._load)
                self._loaded_at = time.monotonic()

    async def authenticate(self, mn: str | None, pw: str | None) -> AuthResult:
        await self._refresh()
        device = self._devices.get(mn or "")
        if device is None and mn:
            device = await self._lookup(mn)
        if device is None:
            return AuthResult(None, f"unknown MN {mn!r}", QNRTN_MN_ERROR)
        if device.state in ("suspended", "retired"):
            return AuthResult(None, f"device {mn} is {device.state}", QNRTN_MN_ERROR)
        key = (device.mn, pw or "")
        if self._verified.get(key) != device.password_hash:
            if not await asyncio.to_thread(_verify, device.password_hash, pw or ""):
                return AuthResult(device, f"wrong password for MN {mn}", QNRTN_PW_ERROR)
            self._verified[key] = device.password_hash
        return AuthResult(device, None, None)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
