"""Quality and reporting pages: review and sign-off, alarms, report downloads.

They are screens over the APIs of the quality capability (web/api/review.py, alarms.py) and of the evaluation
reports (web/api/evaluation.py): lists are read through those handlers (same scope), actions post to them.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ecomon.quality.alarms import VERDICT_ROLES
from ecomon.reports import catalogue as reports
from ecomon.web.api import alarms as alarms_api
from ecomon.web.api import review as review_api
from ecomon.web.i18n import language
from ecomon.web.pages.console_map import visible_sites
from ecomon.web.pages.console_shell import Connection, ConsoleUser, page

router = APIRouter()
REVIEW_LEVEL_KEYS: Final = {1: "c_review_level_1", 2: "c_review_level_2", 3: "c_review_level_3"}


@router.get("/review", response_class=HTMLResponse)
async def review_page(request: Request, principal: ConsoleUser, conn: Connection,
                      site: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    signoffs = await review_api.list_signoffs(review_api.SignoffQuery(site=site, limit=50), principal, conn)
    actions = await review_api.list_actions(review_api.ActionQuery(site=site, limit=50), principal, conn)
    return page(request, principal, "console/review.html", {
        "sites": await visible_sites(conn, principal), "site": site, "signoffs": signoffs["results"],
        "actions": actions["results"], "levels": REVIEW_LEVEL_KEYS})


@router.get("/alarms", response_class=HTMLResponse)
async def alarms_page(request: Request, principal: ConsoleUser, conn: Connection,
                      status: Annotated[Literal["open", "confirmed", "dismissed"] | None, Query()] = "open",
                      page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1) -> HTMLResponse:
    found = await alarms_api.list_alarms(alarms_api.AlarmQuery(status=status, limit=50, page=page_no),
                                         principal, conn)
    codes = sorted({a["parameter_code"] for a in found["results"] if a.get("parameter_code")})
    column = "name_zh" if language(request) == "zh" else "name_en"
    cur = await conn.execute(f"SELECT code, {column} FROM parameter WHERE code = ANY(%s)", (codes,))
    return page(request, principal, "console/alarms.html", {
        "alarms": found["results"], "found": found["meta"]["found"], "status": status, "page_no": page_no,
        "can_judge": principal.role in VERDICT_ROLES, "parameter_names": dict(await cur.fetchall())})


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, principal: ConsoleUser) -> HTMLResponse:
    return page(request, principal, "console/reports.html", {"kinds": reports.catalogue(language(request))})
