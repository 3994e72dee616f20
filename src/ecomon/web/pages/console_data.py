"""Data pages: a series with its QC flags (table and chart), ingest logs with their rejects, and file import with
a progress bar and the reject report. Pages read through the JSON API's own handlers, so the scope rules of the
API (and only those) decide what a page shows.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from ecomon.web.api import aggregates, imports, ingest, observations
from ecomon.web.auth.principal import INGEST_ROLES
from ecomon.web.errors import ApiError
from ecomon.web.pages.console_map import visible_sites
from ecomon.web.pages.console_shell import Connection, ConsoleUser, page, require
from ecomon.web.pages.templating import render

router = APIRouter()
IMPORTER_ROLES: Final = frozenset(imports.IMPORTER_ROLES)
FINISHED: Final = frozenset({"done", "skipped", "failed"})
# QARTOD flag vocabulary used by quality control (1 good, 2 not evaluated, 3 suspect, 4 fail, 9 missing).
QC_KEYS: Final = {1: "c_qc_good", 2: "c_qc_not_evaluated", 3: "c_qc_suspect", 4: "c_qc_fail", 9: "c_qc_missing"}
SERIES_ROWS: Final = 1000


@router.get("/data/series", response_class=HTMLResponse)
async def series_page(request: Request, principal: ConsoleUser, conn: Connection,
                      site: Annotated[str | None, Query(max_length=64)] = None,
                      parameter: Annotated[str, Query(max_length=32)] = "a34004",
                      interval: Annotated[Literal["raw", "hour", "day"], Query()] = "hour",
                      date_from: Annotated[str | None, Query(alias="from", max_length=25)] = None,
                      date_to: Annotated[str | None, Query(alias="to", max_length=25)] = None) -> HTMLResponse:
    sites = await visible_sites(conn, principal)
    rows: list[dict] = []
    unit, error = "", None
    if site:
        window = {k: v for k, v in (("from", date_from), ("to", date_to)) if v}
        try:
            if interval == "day":
                q = aggregates.AggregateQuery.model_validate({"parameter": parameter, "kind": "day",
                                                              "limit": SERIES_ROWS, **window})
                rows = (await aggregates.site_aggregates(site, q, principal, conn))["results"]
            else:
                q = observations.SeriesQuery.model_validate({"parameter": parameter, "interval": interval,
                                                             "limit": SERIES_ROWS, **window})
                found = await observations.site_observations(site, q, principal, conn)
                rows, unit = found["results"], found["meta"].get("unit") or ""
        except ApiError as exc:
            error = exc.message
        except ValidationError as exc:
            error = "; ".join(str(e["msg"]) for e in exc.errors())
    return page(request, principal, "console/series.html", {
        "sites": sites, "site": site, "parameter": parameter, "interval": interval, "date_from": date_from or "",
        "date_to": date_to or "", "rows": rows, "chart_rows": [_chart_point(row) for row in rows], "unit": unit, "error": error, "qc_keys": QC_KEYS,
        "limit": SERIES_ROWS})


def _chart_point(row: dict) -> dict:
    return {"t": row["t"].isoformat(), "value": row["value"], "qc_flag": row.get("qc_flag"),
            "review_label": row.get("review_label")}


@router.get("/data/ingest", response_class=HTMLResponse)
async def ingest_page(request: Request, principal: ConsoleUser, conn: Connection,
                      log: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                      page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1) -> HTMLResponse:
    require(principal, INGEST_ROLES)
    logs = await ingest.list_logs(ingest.LogQuery(limit=50, page=page_no), principal, conn)
    chosen, rejects = None, None
    if log is not None:
        try:
            chosen = await ingest.get_log(log, principal, conn)
            rejects = await ingest.get_rejects(log, ingest.RejectQuery(limit=200), principal, conn)
        except ApiError:
            chosen = None
    return page(request, principal, "console/ingest.html", {
        "logs": logs, "chosen": chosen, "rejects": rejects, "page_no": page_no})


@router.get("/data/import", response_class=HTMLResponse)
async def import_page(request: Request, principal: ConsoleUser, conn: Connection,
                      job: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> HTMLResponse:
    require(principal, IMPORTER_ROLES)
    current = None
    if job is not None:
        try:
            current = await imports.visible_job(conn, principal, job)
        except ApiError:
            current = None
    return page(request, principal, "console/import.html", {
        "job": current, "finished": FINISHED, "recent": await imports.recent_jobs(conn, principal)})


@router.get("/data/import/{job_id}/progress", response_class=HTMLResponse)
async def import_progress(job_id: Annotated[int, Path(ge=1, le=2**62)], request: Request, principal: ConsoleUser,
                          conn: Connection) -> HTMLResponse:
    """The progress fragment htmx polls every second until the job has finished."""
    require(principal, IMPORTER_ROLES)
    job = await imports.visible_job(conn, principal, job_id)
    return render(request, "console/_import_progress.html", {"job": job, "finished": FINISHED})
