"""One async connection pool per web process."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool


async def _configure(conn: AsyncConnection) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")
    await conn.commit()


async def open_pool(app: FastAPI, url: str | None) -> None:
    from ecomon.store.db import database_url

    pool = AsyncConnectionPool(url or database_url(), min_size=1, max_size=10, open=False, configure=_configure)
    await pool.open(wait=True, timeout=30)
    app.state.pool = pool


async def close_pool(app: FastAPI) -> None:
    await app.state.pool.close()


async def connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """FastAPI dependency: a pooled connection, rolled back if the handler fails."""
    async with request.app.state.pool.connection() as conn:
        yield conn
