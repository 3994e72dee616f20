"""User administration page (administrators): the accounts within the admin's region and a form that creates one
through the existing `POST /api/v1/auth/users` (which checks the role, the region and the password rules)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from psycopg.rows import dict_row

from ecomon.web.auth.principal import ROLES
from ecomon.web.pages.console_shell import Connection, ConsoleUser, page, require

router = APIRouter()
ADMIN = frozenset({"admin"})


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request, principal: ConsoleUser, conn: Connection) -> HTMLResponse:
    require(principal, ADMIN)
    scope, args = ("true", []) if principal.region_code is None else (
        "u.region_code IN (SELECT region_descendants(%s))", [principal.region_code])
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(f"""SELECT u.username, u.display_name, u.role, u.region_code, r.name_zh AS region_name,
                                     u.active, u.created_at, u.created_by,
                                     (SELECT max(at) FROM login_attempt a WHERE a.username = u.username AND a.ok)
                                         AS last_login
                              FROM app_user u LEFT JOIN region r ON r.code = u.region_code
                              WHERE {scope} ORDER BY u.username""", args)
        users = await cur.fetchall()
        region_scope = scope.replace("u.region_code", "code")
        await cur.execute(f"SELECT code, name_zh FROM region WHERE {region_scope} ORDER BY code", args)
        regions = [(r["code"], f"{r['code']} {r['name_zh']}") for r in await cur.fetchall()]
    return page(request, principal, "console/users.html", {
        "users": users, "roles": [r for r in ROLES if r not in ("enterprise", "public")],
        "regions": regions, "national": principal.region_code is None})
