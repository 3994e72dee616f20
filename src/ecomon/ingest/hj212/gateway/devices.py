"""Who may send: devices from the `device` table, authenticated by MN + PW (HJ 212-2017 Table 3: PW is the
access password). Passwords are stored as argon2 hashes; a verified (MN, PW) pair is cached so a device pays
for one hash per process, not per packet. Each device also carries its configured protocol version ('auto': read
the Flag version bits) and, for HJ 212-2025 encryption, its SM4 keys unsealed in memory only. While an access
password change (1072) is open or in its grace period, the other password is accepted too (session.credentials)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecomon.ingest.hj212.codec import Version
from ecomon.ingest.hj212.session.credentials import AcceptedHash, confirm_by_login, load_accepted
from ecomon.ingest.hj212.session.keys import DeviceKeys, load_keys
from ecomon.ingest.hj212.session.store import GATEWAY_BY
from ecomon.store.db import connect

# OWASP Password Storage Cheat Sheet minimum for argon2id (19 MiB, 2 passes, 1 lane): ~30 ms per check here,
# against ~250 ms for the library default, so a gateway restart re-authenticates thousands of stations in seconds.
# The 6-character HJ 212 PW gains little from a costlier hash; verify() reads the parameters from each hash.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
REFRESH_S = 30.0
UNKNOWN_RETRY_S = 2.0  # also between re-reads of a device whose password did not verify

# HJ 212-2017 Table 7 (QnRtn): 3 密码错误 / PW error, 4 MN 错误 / MN error.
QNRTN_PW_ERROR = "3"
QNRTN_MN_ERROR = "4"
VERSIONS = {"2005": Version.HJT212_2005, "2017": Version.HJ212_2017, "2025": Version.HJ212_2025}
NO_KEYS = DeviceKeys(None, None)
log = logging.getLogger("ecomon.hj212.gateway")


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    mn: str
    password_hash: str
    site_id: int | None
    outlet_id: int | None
    state: str
    protocol_version: str = "auto"
    keys: DeviceKeys = NO_KEYS
    accepted: tuple[AcceptedHash, ...] = ()  # other hashes accepted during a password change

    @property
    def version(self) -> Version | None:
        """The configured version, or None to detect it from each packet's Flag."""
        return VERSIONS.get(self.protocol_version)

    @property
    def encrypts(self) -> bool:
        return self.keys.active is not None or self.keys.pending is not None


@dataclass(frozen=True, slots=True)
class AuthResult:
    device: Device | None
    reject_reason: str | None
    qnrtn: str | None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def register_device(conn: psycopg.Connection, mn: str, password: str, *, site_id: int | None,
                    outlet_id: int | None = None, protocol_version: str = "2017", updated_by: str) -> int:
    """Insert or update a device bound to a monitoring site or an enterprise outlet (caller commits); the
    password is stored only as its argon2 hash."""
    row = conn.execute(
        """INSERT INTO device (mn, password_hash, protocol_version, site_id, outlet_id, updated_by)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (mn) DO UPDATE SET password_hash = excluded.password_hash,
               protocol_version = excluded.protocol_version, site_id = excluded.site_id,
               outlet_id = excluded.outlet_id, updated_by = excluded.updated_by, updated_at = now()
           RETURNING id""", (mn, hash_password(password), protocol_version, site_id, outlet_id, updated_by)
    ).fetchone()
    assert row is not None
    return int(row[0])


class Directory:
    """Device table snapshot, refreshed every REFRESH_S seconds; an MN not in it is looked up on its own (at most
    once per UNKNOWN_RETRY_S, so a flood of unknown MNs cannot flood the database)."""

    def __init__(self, database_url: str, master_key: bytes | None = None) -> None:
        self._url = database_url
        self._master = master_key  # unseals SM4 keys; None: this gateway serves no encrypting device
        self._devices: dict[str, Device] = {}
        self._loaded_at = 0.0
        self._verified: dict[tuple[str, str], str] = {}  # (mn, pw) → the hash it was verified against
        self._lock = asyncio.Lock()
        self._unknown: dict[str, float] = {}  # MN → when it was last looked up in vain
        self._reread: dict[str, float] = {}  # MN → when it was last re-read after a password that did not verify

    def _load(self, mn: str | None = None) -> dict[str, Device]:
        query = "SELECT id, mn, password_hash, site_id, outlet_id, state, protocol_version FROM device"
        with connect(self._url) as conn:
            rows = conn.execute(query + " WHERE mn = %s" if mn else query, (mn,) if mn else ()).fetchall()
            one = rows[0][0] if mn and rows else None
            keys = load_keys(conn, self._master, one) if self._master and rows else {}
            accepted = load_accepted(conn, one) if rows else {}
        return {r[1]: Device(*r, keys=keys.get(r[0], NO_KEYS), accepted=accepted.get(r[0], ())) for r in rows}

    @property
    def database_url(self) -> str:
        return self._url

    async def find(self, mn: str | None) -> Device | None:
        """The registered device with this MN (no password check), for choosing its version and key."""
        if not mn:
            return None
        await self._refresh()
        return self._devices.get(mn) or await self._lookup(mn)

    async def reload(self, mn: str) -> Device | None:
        """Read one device again now (its keys changed)."""
        found = (await asyncio.to_thread(self._load, mn)).get(mn)
        if found is not None:
            self._devices[mn] = found
        return found

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
        matched = await self._match(device, pw or "")
        if matched is None and self._may_reread(device.mn):  # changed since the snapshot (by another gateway)?
            device = await self.reload(device.mn) or device
            matched = await self._match(device, pw or "")
        if matched is None:
            return AuthResult(device, f"wrong password for MN {mn}", QNRTN_PW_ERROR)
        if matched.role == "pending":  # the device uses its new password: it has switched
            await asyncio.to_thread(self._confirm, matched.change_id)
            device = await self.reload(device.mn) or device
        return AuthResult(device, None, None)

    async def _match(self, device: Device, pw: str) -> AcceptedHash | None:
        """Which accepted hash `pw` verifies against: the device's own (role "active"), or one of a change."""
        cached = self._verified.get((device.mn, pw))
        if cached == device.password_hash:  # the usual case, one dict look-up per packet
            return AcceptedHash(cached, "active", 0, None)
        now = datetime.now(UTC)
        candidates = [AcceptedHash(device.password_hash, "active", 0, None),
                      *(a for a in device.accepted if a.valid(now))]
        for candidate in candidates:
            if candidate.hash == cached:
                return candidate
        for candidate in candidates:
            if await asyncio.to_thread(_verify, candidate.hash, pw):
                self._verified[(device.mn, pw)] = candidate.hash
                return candidate
        return None

    def _may_reread(self, mn: str) -> bool:
        now = time.monotonic()
        if now - self._reread.get(mn, -UNKNOWN_RETRY_S) < UNKNOWN_RETRY_S:
            return False
        self._reread[mn] = now
        return True

    def _confirm(self, change_id: int) -> None:
        """Record the switch; if the database is unreachable the login still stands and the next one records it."""
        try:
            with connect(self._url, autocommit=True) as conn:
                confirm_by_login(conn, change_id, GATEWAY_BY)
        except psycopg.Error as exc:
            log.warning("password change %d: the device's switch was not recorded (retried next login): %s",
                        change_id, exc)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
