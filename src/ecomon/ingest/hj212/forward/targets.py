"""Forwarding targets: the upper platforms, the sites and enterprise outlets each receives and the MN/PW mapping
(migrations 0010, 0012).
Every change is attributed (`updated_by`) and written to the audit trail."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg

from ecomon.ingest.hj212.codec import Version

_UPPER_MN = re.compile(r"[0-9A-F]{24}")  # HJ 212-2017/2025 Table 3


class TargetError(ValueError):
    """A target definition that cannot be stored (unknown site, bad MN or PW, duplicate name)."""


@dataclass(frozen=True, slots=True)
class Target:
    id: int
    name: str
    host: str
    port: int
    version: Version
    password: str
    await_ack: bool
    ack_timeout_s: float
    enabled: bool


@dataclass(frozen=True, slots=True)
class Upstream:
    """How one device is known to a target."""

    mn: str
    pw: str


_VERSIONS = {"2017": Version.HJ212_2017, "2025": Version.HJ212_2025}


def add_target(conn: psycopg.Connection, *, name: str, host: str, port: int, password: str, sites: Sequence[str],
               mapping: Mapping[str, str], actor: str, version: str = "2017", await_ack: bool = True,
               ack_timeout_s: float = 10.0, outlets: Sequence[str] = ()) -> int:
    """Create a target receiving the sites with these codes and the enterprise outlets named `USCC/CODE` (their
    CEMS devices); `mapping`: device MN → upper MN (others keep theirs)."""
    if not sites and not outlets:
        raise TargetError("a target receives at least one site or outlet")
    if len(password) != 6:
        raise TargetError("PW must be 6 characters (HJ 212 Table 3)")
    if version not in _VERSIONS:
        raise TargetError(f"version {version!r}: the platform sends HJ 212-2017 or HJ 212-2025")
    for device_mn, upper_mn in mapping.items():
        if not _UPPER_MN.fullmatch(upper_mn):
            raise TargetError(f"upper MN {upper_mn!r} for {device_mn} is not 24 characters 0-9/A-F")
    with conn.transaction():
        site_ids = dict(conn.execute("SELECT code, id FROM site WHERE code = ANY(%s)", (list(sites),)).fetchall())
        missing = sorted(set(sites) - site_ids.keys())
        if missing:
            raise TargetError(f"unknown site code(s): {', '.join(missing)}")
        outlet_ids = _outlet_ids(conn, outlets)
        try:
            (target_id,) = conn.execute(
                "INSERT INTO forward_target (name, host, port, version, password, await_ack, ack_timeout_s, "
                "updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (name, host, port, version, password, await_ack, ack_timeout_s, actor)).fetchone()
        except psycopg.errors.UniqueViolation as exc:
            raise TargetError(f"a target named {name!r} exists") from exc
        conn.cursor().executemany("INSERT INTO forward_site (target_id, site_id) VALUES (%s, %s)",
                                  [(target_id, site_id) for site_id in site_ids.values()])
        conn.cursor().executemany("INSERT INTO forward_outlet (target_id, outlet_id) VALUES (%s, %s)",
                                  [(target_id, outlet_id) for outlet_id in outlet_ids])
        conn.cursor().executemany("INSERT INTO forward_mn (target_id, device_mn, upper_mn) VALUES (%s, %s, %s)",
                                  [(target_id, device_mn, upper_mn) for device_mn, upper_mn in mapping.items()])
        detail = {"host": host, "port": port, "version": version, "sites": sorted(sites),
                  "outlets": sorted(outlets), "mapping": dict(mapping)}
        conn.execute("INSERT INTO audit_event (actor, action, target, detail) VALUES (%s, 'hj212.forward.add', %s, %s)",
                     (actor, f"forward_target:{target_id}", json.dumps(detail, ensure_ascii=False)))
    return target_id


def _outlet_ids(conn: psycopg.Connection, outlets: Sequence[str]) -> list[int]:
    """Outlets named `USCC/CODE` (enterprise credit code, GB 32100-2015, and the outlet code within it)."""
    ids, unknown = [], []
    for name in outlets:
        uscc, slash, code = name.partition("/")
        row = conn.execute("SELECT o.id FROM outlet o JOIN enterprise e ON e.id = o.enterprise_id "
                           "WHERE e.uscc = %s AND o.code = %s", (uscc, code)).fetchone() if slash else None
        if row is None:
            unknown.append(name)
        else:
            ids.append(row[0])
    if unknown:
        raise TargetError(f"unknown outlet(s) (expected USCC/CODE): {', '.join(unknown)}")
    return ids


def load_targets(conn: psycopg.Connection, *, enabled_only: bool = False) -> list[Target]:
    rows = conn.execute("SELECT id, name, host, port, version, password, await_ack, ack_timeout_s, enabled "
                        "FROM forward_target WHERE enabled OR NOT %s ORDER BY id", (enabled_only,)).fetchall()
    return [Target(i, name, host, port, _VERSIONS[version], pw, ack, float(timeout), enabled)
            for i, name, host, port, version, pw, ack, timeout, enabled in rows]


def load_target(conn: psycopg.Connection, target_id: int) -> Target | None:
    return next((t for t in load_targets(conn) if t.id == target_id), None)


def upstream(conn: psycopg.Connection, target: Target) -> dict[str, Upstream]:
    """Device MN → (upper MN, upper PW) for the mapped devices of `target`."""
    rows = conn.execute("SELECT device_mn, upper_mn, upper_pw FROM forward_mn WHERE target_id = %s",
                        (target.id,)).fetchall()
    return {device_mn: Upstream(upper_mn, upper_pw or target.password) for device_mn, upper_mn, upper_pw in rows}


def site_codes(conn: psycopg.Connection, target_id: int) -> list[str]:
    return [code for (code,) in conn.execute(
        "SELECT s.code FROM forward_site f JOIN site s ON s.id = f.site_id WHERE f.target_id = %s ORDER BY s.code",
        (target_id,)).fetchall()]


def outlet_names(conn: psycopg.Connection, target_id: int) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT e.uscc || '/' || o.code FROM forward_outlet f JOIN outlet o ON o.id = f.outlet_id "
        "JOIN enterprise e ON e.id = o.enterprise_id WHERE f.target_id = %s ORDER BY 1", (target_id,)).fetchall()]
