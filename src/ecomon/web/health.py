"""Health endpoint for operators and load balancers: database reachable, schema revision, NATS reachable."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlparse

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection

from ecomon import __version__
from ecomon.web.dbpool import connection

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health")
async def health(conn: AsyncConnection = Depends(connection)) -> JSONResponse:
    checks: dict[str, object] = {}
    try:
        row = await (await conn.execute("SELECT version_num FROM alembic_version")).fetchone()
        checks["database"] = "ok"
        checks["schema"] = row[0] if row else None
    except Exception as exc:  # noqa: BLE001 - health reports any failure as data
        checks["database"] = f"error: {exc.__class__.__name__}"
    checks["nats"] = "ok" if await _nats_reachable() else "unreachable"
    ok = checks["database"] == "ok" and checks["nats"] == "ok"
    return JSONResponse({"status": "ok" if ok else "degraded", "version": __version__, "checks": checks},
                        status_code=200 if ok else 503)


async def _nats_reachable() -> bool:
    from ecomon.config import get_settings
    from ecomon.runtime.engines import Engines

    url = urlparse(Engines(get_settings()).nats_url())
    try:
        await asyncio.wait_for(asyncio.to_thread(_probe, url.hostname or "127.0.0.1", url.port or 4222), 2)
    except (TimeoutError, OSError):
        return False
    return True


def _probe(host: str, port: int) -> None:
    socket.create_connection((host, port), 1).close()
