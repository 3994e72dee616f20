"""Per-key request limits of the JSON API: fixed one-minute windows counted in PostgreSQL (shared by every web
process), refused with 429 and a Retry-After header, and announced on every response (X-RateLimit-*).

The key is the API token (its digest) if one is sent, else the session, else the client address. A token's own
`rate_per_minute` overrides the default of its role: open-data keys get a modest share, staff and departments
(pushing batches) a large one. A dead credential (unknown, revoked or expired token; ended session) is counted
against its address and refused here with 401 on every route, whether or not the route reads the caller — so a
route that forgets to depend on the principal still never answers a replayed credential.
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


# Logging in must work with a stale session cookie still in the browser.
CREDENTIAL_FREE = frozenset({"/api/v1/auth/login"})


@dataclass(frozen=True)
class Quota:
    key: str
    limit: int
    refusal: tuple[str, str] | None = None
    """(code, message) when the presented credential is dead."""


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
    """Which counter this request spends, its per-minute limit, and whether its credential is dead."""
    address = f"ip:{request.client.host if request.client else 'unknown'}"
    check = request.url.path not in CREDENTIAL_FREE
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        row = await (await conn.execute(
            """SELECT t.id, coalesce(t.rate_per_minute, CASE WHEN u.role = 'public' THEN %s ELSE %s END)
               FROM api_token t JOIN app_user u ON u.id = t.user_id
               WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active""",
            (PUBLIC_KEY_PER_MINUTE, STAFF_PER_MINUTE, digest(token.strip())))).fetchone()
        if row is not None:
            return Quota(f"token:{row[0]}", row[1])
        refusal = ("invalid_token", "the API token is unknown, expired or revoked")
        return Quota(address, ANONYMOUS_PER_MINUTE, refusal if check else None)
    if session := request.cookies.get(SESSION_COOKIE):
        alive = await (await conn.execute(
            """SELECT 1 FROM user_session s JOIN app_user u ON u.id = s.user_id
               WHERE s.token_hash = %s AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active""",
            (digest(session),))).fetchone()
        if alive:
            return Quota(f"session:{digest(session)}", STAFF_PER_MINUTE)
        refusal = ("session_expired", "the session has ended; log in again")
        return Quota(address, ANONYMOUS_PER_MINUTE, refusal if check else None)
    return Quota(address, ANONYMOUS_PER_MINUTE)


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
            quota = await quota_of(conn, request)
            usage = await spend(conn, quota)
        headers = {"X-RateLimit-Limit": str(usage.limit), "X-RateLimit-Remaining": str(usage.remaining),
                   "X-RateLimit-Reset": str(usage.reset_seconds)}
        if usage.exceeded:
            return JSONResponse(
                {"error": {"code": "rate_limited",
                           "message": f"more than {usage.limit} requests in one minute for this key; "
                                      f"retry after {usage.reset_seconds} s",
                           "detail": {"limit": usage.limit, "retry_after": usage.reset_seconds}}},
                status_code=429, headers={**headers, "Retry-After": str(usage.reset_seconds)})
        if quota.refusal is not None:
            code, message = quota.refusal
            return JSONResponse({"error": {"code": code, "message": message, "detail": None}}, status_code=401,
                                headers=headers)
        response = await call_next(request)
        response.headers.update(headers)
        return response
