"""File import from the browser: upload → background import (ingest/files/importer) → progress → reject report.

The upload is answered at once with a job id; the import runs in a worker thread on its own connection and
reports its progress into `import_job` (migration 0008), which the console polls. The importer itself is the one
the `ecomon import` command uses (archive, transform, idempotent merge, rejects per cell), so a file imported
here and on the command line ends the same. Region scope: a regional user's file may only name sites in their
region — a file naming any other registered site is refused whole before anything is written.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.config import get_settings
from ecomon.ingest.files.importer import import_bytes, read_table
from ecomon.ingest.files.mapping import Mapping, MappingError, parse_mapping
from ecomon.store.db import connect
from ecomon.web.api.common import csv_response
from ecomon.web.api.push import push_mapping
from ecomon.web.auth import Conn, Principal, require_roles
from ecomon.web.auth.scope import site_condition
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/imports", tags=["imports"])
IMPORTER_ROLES = ("admin", "centre", "department")
Importer = require_roles(*IMPORTER_ROLES)

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
REJECT_COLUMNS = ("row_no", "column_name", "value", "reason")
_JOB = """SELECT id, file_name, status, values_done, values_total, ingest_id, summary, error, created_at,
                 finished_at, created_by FROM import_job"""
_running: set[asyncio.Task] = set()   # keeps the worker tasks referenced until they end
# A worker holds this session lock (with the job id) for as long as it runs: a queued or running job whose lock is
# free has lost its worker (the web process stopped), whichever of several web processes started it.
_JOB_LOCK = "hashtext('ecomon.import_job')::integer"
_QUEUE_GRACE = "1 minute"   # a queued job whose worker has not started by then never will
ABANDONED = "interrupted: the web process that ran this import stopped; upload the file again (nothing is stored twice)"


def mapping_from(text: bytes | None, interval: str) -> Mapping | None:
    """The uploaded mapping (TOML, see docs/import.md); None without one (the file is then read as a push batch)."""
    if not text:
        return None
    try:
        return parse_mapping(tomllib.loads(text.decode("utf-8")), "uploaded mapping")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, MappingError) as exc:
        raise ApiError(422, "invalid_mapping", f"the mapping is not valid: {exc}"[:500]) from None


async def foreign_sites(conn: AsyncConnection, principal: Principal, stations: set[str]) -> list[str]:
    """Registered sites named in a file that the principal may not write (unknown codes are left to the importer)."""
    if principal.region_code is None or not stations:
        return []
    scope, args = site_condition(principal, "s")
    rows = await (await conn.execute(
        f"SELECT s.code FROM site s WHERE s.code = ANY(%s) AND NOT ({scope}) ORDER BY s.code",
        [sorted(stations), *args])).fetchall()
    return [row[0] for row in rows]


def inspect(data: bytes, name: str, mapping: Mapping | None, interval: str) -> tuple[Mapping, set[str]]:
    """The mapping to import with and the station codes the file names.

    Without an uploaded mapping the file is read like an API push batch: long table site,parameter,t,value with
    optional unit and flag columns (web/api/push.py), so the two channels accept the same files.
    """
    if mapping is None:
        mapping = push_mapping(interval, _read(data, name, push_mapping(interval, [])).columns)
    frame = _read(data, name, mapping)
    if mapping.station.column not in frame.columns:
        raise ApiError(422, "missing_station_column", f"the file has no column {mapping.station.column!r}",
                       {"columns": frame.columns[:50]})
    # A code with a NUL character names no site (PostgreSQL text cannot hold one); the importer rejects its rows.
    codes = frame.get_column(mapping.station.column).drop_nulls().unique().to_list()
    return mapping, {code for code in codes if "\x00" not in code}


def _read(data: bytes, name: str, mapping: Mapping) -> pl.DataFrame:
    try:
        return read_table(data, name, mapping)
    except Exception as exc:  # noqa: BLE001 (polars/fastexcel raise many error types for unreadable files)
        raise ApiError(422, "unreadable_file", f"the file cannot be read with this mapping: {exc}"[:500]) from None


@router.post("", summary="上传导入文件 / upload a file to import in the background", status_code=202)
async def start_import(request: Request, principal: Importer, conn: Conn,  # type: ignore[valid-type]
                       file: Annotated[UploadFile, File(description="CSV (UTF-8/GB 18030, may be gzipped) or XLSX")],
                       mapping: Annotated[UploadFile | None, File(description="import mapping (TOML)")] = None,
                       interval: Annotated[Literal["raw", "minute", "hour", "day"], Form()] = "hour") -> dict:
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ApiError(422, "empty_file", "the uploaded file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "file_too_large", f"a file may have at most {MAX_UPLOAD_BYTES} bytes")
    name = (file.filename or "upload.csv").replace("\x00", "")[-200:]
    parsed, stations = await asyncio.to_thread(
        inspect, data, name, mapping_from(await mapping.read(256 * 1024) if mapping else None, interval), interval)
    if parsed.station.unknown == "register" and principal.region_code is not None:
        raise ApiError(403, "register_out_of_scope", "only national operators may register sites by import")
    outside = await foreign_sites(conn, principal, stations)
    if outside:
        raise ApiError(403, "sites_out_of_scope", "the file names sites outside your region; nothing was imported",
                       {"sites": outside[:50]})
    row = await (await conn.execute(
        "INSERT INTO import_job (file_name, user_id, created_by) VALUES (%s, %s, %s) RETURNING id",
        (name, principal.user_id, principal.username))).fetchone()
    await conn.commit()
    job_id = int(row[0])  # type: ignore[index]
    task = asyncio.create_task(asyncio.to_thread(run_import, request.app.state.pool.conninfo, job_id, data, name,
                                                 parsed, principal.username))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return {"id": job_id, "status": "queued", "url": f"/api/v1/imports/{job_id}"}


def run_import(url: str, job_id: int, data: bytes, name: str, mapping: Mapping, user: str) -> None:
    """Worker thread: import the file, reporting progress on a second (autocommit) connection."""
    settings = get_settings()
    with connect(url) as progress_conn, connect(url) as conn:
        progress_conn.autocommit = True
        progress_conn.execute(f"SELECT pg_advisory_lock({_JOB_LOCK}, %s)", (job_id,))
        progress_conn.execute("UPDATE import_job SET status = 'running' WHERE id = %s", (job_id,))

        def progress(done: int, total: int) -> None:
            progress_conn.execute("UPDATE import_job SET values_done = %s, values_total = %s WHERE id = %s",
                                  (done, total, job_id))

        try:
            summary = import_bytes(conn, data, name, mapping, user=user, archive_root=settings.archive_dir,
                                   local_tz=settings.timezone, progress=progress)
        except Exception as exc:  # noqa: BLE001 (the job must end with the reason, whatever the importer met)
            conn.rollback()
            progress_conn.execute("UPDATE import_job SET status = 'failed', error = %s, finished_at = now() "
                                  "WHERE id = %s", (f"{type(exc).__name__}: {exc}"[:2000], job_id))
            return
        done = summary.as_dict()
        progress_conn.execute(
            """UPDATE import_job SET status = %s, ingest_id = %s, summary = %s, finished_at = now(),
               values_total = coalesce(values_total, %s), values_done = greatest(values_done, %s) WHERE id = %s""",
            (summary.status, summary.ingest_id, json.dumps(done, ensure_ascii=False), summary.values_accepted,
             summary.values_accepted, job_id))
        progress_conn.execute(
            "INSERT INTO audit_event (actor, action, target, detail) VALUES (%s, 'import.file', %s, %s)",
            (user, f"ingest:{summary.ingest_id}", json.dumps(
                {"job": job_id, "file": name, "status": summary.status, "accepted": summary.values_accepted,
                 "rejected": summary.values_rejected}, ensure_ascii=False)))


async def close_abandoned(conn: AsyncConnection) -> int:
    """End as failed the jobs whose worker is gone (see `_JOB_LOCK`), so no page waits on them forever.

    The lock test takes the free locks it finds; they are released at once. Returns the jobs closed.
    """
    cur = await conn.execute(
        f"""WITH candidate AS MATERIALIZED (
                SELECT id FROM import_job
                WHERE status = 'running' OR (status = 'queued' AND created_at < now() - interval '{_QUEUE_GRACE}'))
            , gone AS MATERIALIZED (SELECT id FROM candidate WHERE pg_try_advisory_lock({_JOB_LOCK}, id::integer))
            , released AS (SELECT id, pg_advisory_unlock({_JOB_LOCK}, id::integer) FROM gone)
            UPDATE import_job j SET status = 'failed', error = %s, finished_at = now()
            FROM released r WHERE j.id = r.id RETURNING j.id""", (ABANDONED,))
    closed = cur.rowcount
    await conn.commit()
    return closed


async def visible_job(conn: AsyncConnection, principal: Principal, job_id: int) -> dict:
    """A job is seen by whoever started it, and by national administrators."""
    await close_abandoned(conn)
    cur = conn.cursor(row_factory=dict_row)
    national_admin = principal.role == "admin" and principal.region_code is None
    await cur.execute(f"{_JOB} WHERE id = %s AND (user_id = %s OR %s)", (job_id, principal.user_id, national_admin))
    row = await cur.fetchone()
    if row is None:
        raise ApiError(404, "unknown_import", "no such import job of yours", {"id": job_id})
    return row


async def recent_jobs(conn: AsyncConnection, principal: Principal, limit: int = 20) -> list[dict]:
    await close_abandoned(conn)
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"{_JOB} WHERE user_id = %s ORDER BY id DESC LIMIT %s", (principal.user_id, limit))
    return await cur.fetchall()


@router.get("", summary="我的导入任务 / my recent import jobs")
async def list_imports(principal: Importer, conn: Conn) -> dict:  # type: ignore[valid-type]
    return {"results": await recent_jobs(conn, principal)}


@router.get("/{job_id}", summary="导入进度 / progress and outcome of an import job")
async def get_import(job_id: Annotated[int, Path(ge=1)], principal: Importer, conn: Conn) -> dict:  # type: ignore[valid-type]
    return await visible_job(conn, principal, job_id)


@router.get("/{job_id}/rejects.csv", summary="拒收报告 / the whole reject report of an import as CSV")
async def reject_report(job_id: Annotated[int, Path(ge=1)], principal: Importer, conn: Conn):  # type: ignore[valid-type]
    job = await visible_job(conn, principal, job_id)
    if job["ingest_id"] is None:
        raise ApiError(409, "import_not_finished", "the import has no ingest log yet", {"status": job["status"]})
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute("SELECT row_no, column_name, value, reason FROM ingest_reject WHERE ingest_id = %s "
                      "ORDER BY row_no, column_name", (job["ingest_id"],))
    return csv_response(await cur.fetchall(), REJECT_COLUMNS, f"rejects-import-{job_id}.csv")

