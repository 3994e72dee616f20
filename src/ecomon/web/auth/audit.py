"""Append-only, hash-chained audit trail: every write and every login attempt, with who, when and what.

Rows go into `audit_event`, whose insert trigger links each one into the SHA-256 chain (migration 0005); the
chain is verified by `ecomon audit verify` (ecomon.quality.audit). Registry rows and observations are chained by
database triggers, so this module is only for events the database cannot see (logins, tokens, review steps).
"""

from __future__ import annotations

import json

from psycopg import AsyncConnection


async def record(conn: AsyncConnection, actor: str, action: str, target: str | None = None,
                 detail: dict | None = None, ip: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO audit_event (actor, action, target, detail, ip) VALUES (%s, %s, %s, %s, %s)",
        (actor, action, target, json.dumps(detail or {}, ensure_ascii=False), ip))


async def attribute(conn: AsyncConnection, actor: str, change: str) -> None:
    """Name who makes the following observation writes of this transaction and why (their chained batch record)."""
    await conn.execute("SELECT set_config('ecomon.actor', %s, true), set_config('ecomon.change', %s, true)",
                       (actor, change))
