"""Running a report's queries on a synchronous (CLI) or asynchronous (API) connection."""

from __future__ import annotations

from collections.abc import Mapping

import psycopg
from psycopg import AsyncConnection

Queries = Mapping[str, tuple[str, list[object]]]


def run_sync(conn: psycopg.Connection, queries: Queries) -> dict[str, list[tuple]]:
    return {name: conn.execute(sql, args).fetchall() for name, (sql, args) in queries.items()}  # type: ignore[arg-type]


async def run_async(conn: AsyncConnection, queries: Queries) -> dict[str, list[tuple]]:
    results = {}
    for name, (sql, args) in queries.items():
        cur = await conn.execute(sql, args)  # type: ignore[arg-type]
        results[name] = await cur.fetchall()
    return results
