"""What every console page shares: the logged-in staff member (else a redirect to the login page) and the shell.

Pages read the session cookie the login API sets (web/auth/routes.py); they only read, so CSRF does not apply to
them — every write goes through the JSON API, which checks the X-CSRF-Token header (static/js/console.js).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from psycopg import AsyncConnection

from ecomon.web.auth import accounts
from ecomon.web.auth.deps import SESSION_COOKIE
from ecomon.web.auth.principal import INGEST_ROLES, Principal
from ecomon.web.dbpool import connection
from ecomon.web.pages.air_now import LOCAL_TZ
from ecomon.web.pages.templating import render

Connection = Annotated[AsyncConnection, Depends(connection)]
EDITOR_ROLES = frozenset({"admin", "centre"})

# (i18n key, path, roles that see the entry; None = every staff role)
NAV: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("c_nav_overview", "/console", None),
    ("c_nav_ranking", "/console/ranking", None),
    ("c_nav_registry", "/console/registry/site", None),
    ("c_nav_coverage", "/console/coverage", None),
    ("c_nav_series", "/console/data/series", None),
    ("c_nav_ingest", "/console/data/ingest", INGEST_ROLES),
    ("c_nav_import", "/console/data/import", frozenset({"admin", "centre", "department"})),
    ("c_nav_review", "/console/review", None),
    ("c_nav_alarms", "/console/alarms", None),
    ("c_nav_reports", "/console/reports", None),
    ("c_nav_users", "/console/users", frozenset({"admin"})),
)


async def console_user(request: Request, conn: Connection) -> Principal:
    """The staff member of this browser session; anyone else is sent to the login page (303)."""
    return await staff_principal(request, conn)


async def staff_principal(request: Request, conn: AsyncConnection) -> Principal:
    """As `console_user`, on a connection the caller holds (long responses must not keep a pooled one)."""
    token = request.cookies.get(SESSION_COOKIE)
    principal = await accounts.session_principal(conn, token) if token else None
    if principal is None or not principal.is_staff:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "log in first", headers={"Location": f"/console/login?next={quote(target, safe='')}"})
    return principal


ConsoleUser = Annotated[Principal, Depends(console_user)]


def require(principal: Principal, roles: frozenset[str]) -> None:
    if principal.role not in roles:
        raise HTTPException(403, f"role {principal.role!r} may not open this page")


def page(request: Request, principal: Principal, name: str, context: dict[str, Any],
         status_code: int = 200) -> HTMLResponse:
    """Render a console page inside the navigation shell (entries filtered by role)."""
    nav = [(key, path) for key, path, roles in NAV if roles is None or principal.role in roles]
    return render(request, name, {**context, "user": principal, "nav": nav, "path": request.url.path,
                                  "can_edit": principal.role in EDITOR_ROLES, "tz": LOCAL_TZ}, status_code)
