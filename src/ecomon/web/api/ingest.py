"""Ingest logs and their rejected values (CSV download) for the operators of the data flow.

Ingest logs are not region-scoped in the schema (one file may cover many regions), so they are limited to the
roles that run imports (admin, centre, reviewer) and, for regional users, to imports that touched their sites.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from psycopg import AsyncConnection

from ecomon.web.api.common import csv_response, fetch_all, fetch_page
from ecomon.web.api.filters import Format, Paging, TimeRange
from ecomon.web.auth import Conn, Principal, require_roles
from ecomon.web.auth.principal import INGEST_ROLES
from ecomon.web.auth.scope import series_condition
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/ingest", tags=["ingest"])
Operator = require_roles(*INGEST_ROLES)

_LOG = """SELECT l.id, r.name AS file_name, r.sha256, r.channel, l.status, l.rows_total, l.rows_rejected,
                 l.values_accepted, l.values_rejected, l.values_flagged, l.values_changed, l.message,
                 l.started_at, l.finished_at, l.by_user
          FROM ingest_log l JOIN raw_input r ON r.id = l.raw_input_id"""
REJECT_COLUMNS = ("row_no", "column_name", "value", "reason")


class LogQuery(TimeRange, Paging):
    status: Literal["running", "done", "failed", "dry-run"] | None = None


def _log_scope(principal: Principal) -> tuple[str, list[object]]:
    """National operators see every log; regional ones only imports that wrote a series they may see."""
    if principal.region_code is None:
        return "true", []
    scope, args = series_condition(principal, "se")
    return (f"""EXISTS (SELECT 1 FROM observation o JOIN series se ON se.id = o.series_id
                        WHERE o.channel IN ('file', 'api') AND o.source_id = l.raw_input_id AND {scope})""", args)


@router.get("/logs", summary="导入日志 / ingest logs (operators)")
async def list_logs(q: Annotated[LogQuery, Query()], principal: Operator,
                    conn: Conn) -> dict:
    where, args = q.where({"t": "l.started_at"})
    scope, scope_args = _log_scope(principal)
    status = "l.status = %s" if q.status else "true"
    return await fetch_page(conn, f"{_LOG} WHERE {where} AND {scope} AND {status} ORDER BY l.id DESC",
                            [*args, *scope_args, *([q.status] if q.status else [])], q)


async def _visible_log(conn: AsyncConnection, principal: Principal, ingest_id: int) -> dict:
    scope, scope_args = _log_scope(principal)
    rows = await fetch_all(conn, f"{_LOG} WHERE l.id = %s AND {scope}", [ingest_id, *scope_args])
    if not rows:
        raise ApiError(404, "unknown_ingest", "no such ingest log, or it is outside your access scope",
                       {"ingest_id": ingest_id})
    return rows[0]


@router.get("/logs/{ingest_id}", summary="导入日志 / one ingest log")
async def get_log(ingest_id: int, principal: Operator,
                  conn: Conn) -> dict:
    return await _visible_log(conn, principal, ingest_id)


class RejectQuery(Paging):
    format: Format = "json"


@router.get("/logs/{ingest_id}/rejects", summary="拒收明细 / rejected values of one import (JSON or CSV)")
async def get_rejects(ingest_id: int, q: Annotated[RejectQuery, Query()], principal: Operator,
                      conn: Conn) -> dict:
    await _visible_log(conn, principal, ingest_id)
    page = await fetch_page(conn, "SELECT row_no, column_name, value, reason FROM ingest_reject WHERE ingest_id = %s "
                                  "ORDER BY row_no, column_name", [ingest_id], q)
    if q.format == "csv":
        return csv_response(page["results"], REJECT_COLUMNS, f"rejects-{ingest_id}-p{q.page}.csv")  # type: ignore[return-value]
    return page
