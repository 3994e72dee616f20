"""Shared pieces of the JSON API: paged queries, CSV responses, resolving a visible site or a parameter."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fastapi.responses import Response
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.web.api.filters import Paging
from ecomon.web.auth.principal import Principal
from ecomon.web.auth.scope import outlet_condition, site_condition
from ecomon.web.errors import ApiError

REVIEW_STATES = {0: "preliminary", 1: "reviewed", 2: "audited", 3: "released"}


async def fetch_all(conn: AsyncConnection, sql: str, args: Sequence[object]) -> list[dict]:
    """Rows as dicts, in PostgreSQL's binary format: the server does not print times and numbers as text nor the
    client parse them back (10-15 % off a page of 6,000 latest values, bench/query.py)."""
    cur = conn.cursor(row_factory=dict_row, binary=True)
    await cur.execute(sql, args)  # type: ignore[arg-type]
    return await cur.fetchall()


async def fetch_page(conn: AsyncConnection, sql: str, args: Sequence[object], paging: Paging) -> dict:
    """Run `sql` (without LIMIT) one page at a time; `found` counts all matching rows."""
    rows = await fetch_all(conn, f"SELECT *, count(*) OVER () AS found_ FROM ({sql}) q_ LIMIT %s OFFSET %s",
                           [*args, paging.limit, paging.offset])
    found = rows[0]["found_"] if rows else await _count(conn, sql, args) if paging.page > 1 else 0
    for row in rows:
        del row["found_"]
    return {"meta": {"page": paging.page, "limit": paging.limit, "found": found}, "results": rows}


async def _count(conn: AsyncConnection, sql: str, args: Sequence[object]) -> int:
    row = await (await conn.execute(f"SELECT count(*) FROM ({sql}) q_", args)).fetchone()  # type: ignore[arg-type]
    return row[0]


def label_review(rows: list[dict]) -> list[dict]:
    """Add the readable review state next to the numeric one, so preliminary data is labelled as such."""
    for row in rows:
        if "review_state" in row:
            row["review_label"] = REVIEW_STATES.get(row["review_state"], "unknown")
    return rows


def csv_response(rows: list[dict], columns: Sequence[str], filename: str) -> Response:
    """A CSV download; cells that a spreadsheet would run as a formula are prefixed with a quote."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def csv_cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


async def visible_site(conn: AsyncConnection, principal: Principal, ident: str) -> dict:
    """The site by numeric id or code if the principal may see it; otherwise the same 404 as a missing one."""
    cond, args = site_condition(principal, "s")
    by_id = ident.isascii() and ident.isdigit() and len(ident) < 19
    rows = await fetch_all(
        conn, f"SELECT s.* FROM site s WHERE {'s.id = %s' if by_id else 's.code = %s'} AND {cond}",
        [int(ident) if by_id else ident, *args])
    if not rows:
        raise ApiError(404, "unknown_site", "no such site, or it is outside your access scope", {"site": ident})
    return rows[0]


async def resolve_parameter(conn: AsyncConnection, text: str) -> str:
    """An HJ 212 code or a known alias (case-insensitive) → the code; unknown → 404 unknown_parameter."""
    row = await (await conn.execute(
        """SELECT code FROM parameter WHERE code = %s
           UNION ALL SELECT code FROM parameter_alias WHERE alias = lower(%s) LIMIT 1""", (text, text))).fetchone()
    if row is None:
        raise ApiError(404, "unknown_parameter", "unknown parameter code or alias", {"parameter": text})
    return row[0]


async def visible_outlet(conn: AsyncConnection, principal: Principal, ident: str) -> dict:
    """The outlet by numeric id if the principal may see it; otherwise the same 404 as a missing one."""
    cond, args = outlet_condition(principal, "o")
    if not (ident.isascii() and ident.isdigit() and len(ident) < 19):
        raise ApiError(404, "unknown_outlet", "no such outlet, or it is outside your access scope", {"outlet": ident})
    rows = await fetch_all(conn, f"SELECT o.* FROM outlet o WHERE o.id = %s AND {cond}", [int(ident), *args])
    if not rows:
        raise ApiError(404, "unknown_outlet", "no such outlet, or it is outside your access scope", {"outlet": ident})
    return rows[0]
