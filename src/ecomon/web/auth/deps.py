"""FastAPI dependencies: resolve the principal (bearer token or session cookie + CSRF) and check roles."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection

from ecomon.web.auth import accounts
from ecomon.web.auth.principal import ANONYMOUS, STAFF_ROLES, Principal
from ecomon.web.dbpool import connection
from ecomon.web.errors import ApiError

SESSION_COOKIE = "ecomon_session"
CSRF_COOKIE = "ecomon_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Conn = Annotated[AsyncConnection, Depends(connection)]


async def current_principal(request: Request, conn: Conn) -> Principal:
    """The caller: a bearer API token, else a session cookie, else anonymous (public, released data only).

    A credential that is presented but invalid (revoked, expired, logged out) is refused, never downgraded to
    anonymous, so a client notices. Cookie sessions must echo the CSRF token on unsafe methods.
    """
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "invalid_token", "Authorization must be 'Bearer <token>'")
        principal = await accounts.token_principal(conn, token.strip())
        if principal is None:
            raise ApiError(401, "invalid_token", "the API token is unknown, expired or revoked")
        needed = "read" if request.method in SAFE_METHODS else "write"
        if needed not in principal.scopes:
            raise ApiError(403, "insufficient_scope", f"this token lacks the {needed!r} scope")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = await accounts.session_principal(conn, cookie)
        if principal is None:
            raise ApiError(401, "session_expired", "the session has ended; log in again")
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), (principal.csrf_token or "").encode()):
                raise ApiError(403, "csrf_failed", f"unsafe requests need the {CSRF_HEADER} header of the session")
        return principal
    return ANONYMOUS


Caller = Annotated[Principal, Depends(current_principal)]


async def authenticated(principal: Caller) -> Principal:
    if principal.user_id is None:
        raise ApiError(401, "unauthenticated", "log in or send an API token")
    return principal


LoggedIn = Annotated[Principal, Depends(authenticated)]


def require_roles(*roles: str) -> object:
    """The caller, who must be logged in with one of `roles` (use as a parameter annotation)."""
    allowed = frozenset(roles)

    async def check(principal: LoggedIn) -> Principal:
        if principal.role not in allowed:
            raise ApiError(403, "forbidden", f"role {principal.role!r} may not do this")
        return principal

    return Annotated[Principal, Depends(check)]


Staff = require_roles(*STAFF_ROLES)
