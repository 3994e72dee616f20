"""Per-key request limits of the JSON API: fixed one-minute windows counted in PostgreSQL (shared by every web
process), refused with 429 and a Retry-After header, and announced on every response (X-RateLimit-*).

The key is the API token (its digest) if one is sent, else the session, else the client address. A token's own
`rate_per_minute` overrides the default of its role: open-data keys get a modest share, staff and departments
(pushing batches) a large one. An unknown token is counted against its address, so guessing costs quota too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection

from ecomon.web.auth.credentials import digest
from ecomon.web.auth.deps import SESSION_COOKIE

ANONYMOUS_PER_MINUTE = 1200      # per client address, for callers without a key
PUBLIC_KEY_PER_MINUTE = 600      # open-data keys (role public)
STAFF_PER_MINUTE = 6000          # every other role and cookie sessions


@dataclass(frozen=True)
class Quota:
    key: str
    limit: int


@dataclass(frozen=True)
class Usage:
    limit: int
    hits: int
    reset_seconds: int

    @property
    def exceeded(self) -> bool:
        return self.hits > self.limit

    @property
    def remaining(self) -> int:
        return max(self.limit - self.hits, 0)


async def quota_of(conn: AsyncConnection, request: Request) -> Quota:
    """Which counter this request spends and its per-minute limit."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        row = await (await conn.execute(
            """SELECT t.id, coalesce(t.rate_per_minute, CASE WHEN u.role = 'public' THEN %s ELSE %s END)
               FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE t.token_hash = %s""",
            (PUBLIC_KEY_PER_MINUTE, STAFF_PER_MINUTE, digest(token.strip())))).fetchone()
        if row is not None:
            return Quota(f"token:{row[0]}", row[1])
    elif session := request.cookies.get(SESSION_COOKIE):
        return Quota(f"session:{digest(session)}", STAFF_PER_MINUTE)
    return Quota(f"ip:{request.client.host if request.client else 'unknown'}", ANONYMOUS_PER_MINUTE)


async def spend(conn: AsyncConnection, quota: Quota) -> Usage:
    """Count one request in the current minute; a fresh window also prunes windows that have ended."""
    hits, reset = await (await conn.execute(
        """INSERT INTO api_rate_window AS w (key, window_start, hits) VALUES (%s, date_trunc('minute', now()), 1)
           ON CONFLICT (key, window_start) DO UPDATE SET hits = w.hits + 1
           RETURNING hits, extract(epoch FROM w.window_start + interval '1 minute' - now())""",
        (quota.key,))).fetchone()
    if hits == 1:
        await conn.execute("DELETE FROM api_rate_window WHERE window_start < date_trunc('minute', now())")
    await conn.commit()
    return Usage(quota.limit, hits, max(1, math.ceil(float(reset))))


def install_rate_limits(app: FastAPI) -> None:
    @app.middleware("http")
    async def limit(request: Request, call_next):  # type: ignore[no-untyped-def]
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        async with request.app.state.pool.connection() as conn:
            usage = await spend(conn, await quota_of(conn, request))
        headers = {"X-RateLimit-Limit": str(usage.limit), "X-RateLimit-Remaining": str(usage.remaining),
                   "X-RateLimit-Reset": str(usage.reset_seconds)}
        if usage.exceeded:
            return JSONResponse(
                {"error": {"code": "rate_limited",
                           "message": f"more than {usage.limit} requests in one minute for this key; "
                                      f"retry after {usage.reset_seconds} s",
                           "detail": {"limit": usage.limit, "retry_after": usage.reset_seconds}}},
                status_code=429, headers={**headers, "Retry-After": str(usage.reset_seconds)})
        response = await call_next(request)
        response.headers.update(headers)
        return response
