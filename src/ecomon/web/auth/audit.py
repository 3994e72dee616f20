"""Append-only audit trail: every write and every login attempt, with who, when and what."""

from __future__ import annotations

import json

from psycopg import AsyncConnection


async def record(conn: AsyncConnection, actor: str, action: str, target: str | None = None,
                 detail: dict | None = None, ip: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO audit_event (actor, action, target, detail, ip) VALUES (%s, %s, %s, %s, %s)",
        (actor, action, target, json.dumps(detail or {}, ensure_ascii=False), ip))
