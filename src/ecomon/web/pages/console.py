"""Staff console (/console): login, overview map, station ranking, site page with live values (SSE) and charts.

The area pages (registry, data, quality) live in console_*.py modules and are included here, so the app
registers the console with one router.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.registry.vocabulary import vocabulary
from ecomon.web.api.common import visible_site
from ecomon.web.auth import accounts
from ecomon.web.auth.deps import SESSION_COOKIE
from ecomon.web.errors import ApiError
from ecomon.web.i18n import language, translator
from ecomon.web.pages import console_data, console_quality, console_registry, console_users
from ecomon.web.pages.console_data import QC_KEYS
from ecomon.web.pages.console_map import STATE_COLOURS, WATER_COLOURS, districts, map_sites
from ecomon.web.pages.console_shell import Connection, ConsoleUser, page, staff_principal
from ecomon.web.pages.portal import LEGEND
from ecomon.web.pages.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)
for _area in (console_registry, console_data, console_quality, console_users):
    router.include_router(_area.router)

LIVE_POLL_SECONDS: Final = 2.0
# The chart opens on the first of these the site measures (PM2.5, then the main water and flue-gas items).
DEFAULT_CHART_PARAMETERS: Final = ("a34004", "w01018", "a21026")
District = Annotated[str | None, Query(pattern=r"^[0-9]{6}([0-9]{3})?$")]

_LIVE = """SELECT se.parameter_code, se.interval_kind, p.name_zh, p.name_en,
                  coalesce(pu.unit, p.unit) AS unit, lv.t, lv.value, lv.data_flag, lv.qc_flag, lv.review_state,
                  lv.updated_at
           FROM latest_value lv JOIN series se ON se.id = lv.series_id JOIN site s ON s.id = se.site_id
           JOIN parameter p ON p.code = se.parameter_code
           LEFT JOIN parameter_unit pu ON pu.code = p.code AND pu.element = s.element
           WHERE se.site_id = %s AND lv.updated_at > %s ORDER BY se.parameter_code, se.interval_kind"""


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, conn: Connection,
                     next: Annotated[str, Query(max_length=500)] = "/console") -> HTMLResponse:
    # Only a path inside the console is followed after login (no open redirect).
    target = next if next.startswith("/console") and not next.startswith("//") else "/console"
    token = request.cookies.get(SESSION_COOKIE)
    current = await accounts.session_principal(conn, token) if token else None
    # An enterprise or public account is logged in but may not use the console: say so instead of looping.
    return render(request, "console/login.html", {"next": target,
                                                  "not_staff": current is not None and not current.is_staff})


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, principal: ConsoleUser, conn: Connection,
                   district: District = None) -> HTMLResponse:
    lang = language(request)
    sites, aqi_time = await map_sites(conn, principal, lang, district)
    t = translator(lang)
    markers = [{**site.__dict__, "status": t(f"c_state_{site.state}") if site.status == site.state else site.status}
               for site in sites if site.lon is not None and site.lat is not None]
    counts: dict[str, int] = {}
    for site in sites:
        counts[site.state] = counts.get(site.state, 0) + 1
    return page(request, principal, "console/overview.html", {
        "sites": sites, "markers": markers, "aqi_time": aqi_time, "districts": await districts(conn, principal),
        "district": district, "legend": LEGEND, "water_colours": WATER_COLOURS, "state_colours": STATE_COLOURS,
        "counts": counts, "element_names": {e.code: e.zh if lang == "zh" else e.en for e in vocabulary().elements}})


@router.get("/ranking", response_class=HTMLResponse)
async def ranking(request: Request, principal: ConsoleUser, conn: Connection,
                  district: District = None) -> HTMLResponse:
    sites, aqi_time = await map_sites(conn, principal, language(request), district)
    ranked = sorted((s for s in sites if s.element == "air" and s.status.startswith("AQI ") and s.status != "AQI —"),
                    key=lambda s: (int(s.status.split()[1]), s.code))
    return page(request, principal, "console/ranking.html", {
        "ranked": ranked, "aqi_time": aqi_time, "districts": await districts(conn, principal), "district": district})


async def _site(conn: AsyncConnection, principal, code: str) -> dict:  # type: ignore[no-untyped-def]
    try:
        return await visible_site(conn, principal, code)
    except ApiError:
        return {}


@router.get("/sites/{code}", response_class=HTMLResponse)
async def site_page(code: str, request: Request, principal: ConsoleUser, conn: Connection) -> HTMLResponse:
    site = await _site(conn, principal, code)
    if not site:
        return page(request, principal, "console/not_found.html", {"what": code}, status_code=404)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_LIVE, (site["id"], dt.datetime(1970, 1, 1, tzinfo=dt.UTC)))
        values = await cur.fetchall()
        await cur.execute("SELECT state, valid_from, reason, changed_at, changed_by FROM site_state_history "
                          "WHERE site_id = %s ORDER BY valid_from, id", (site["id"],))
        history = await cur.fetchall()
    parameters = sorted({(v["parameter_code"], v["name_zh"], v["name_en"]) for v in values})
    codes = [code for code, _, _ in parameters]
    t = translator(language(request))
    element = next((e for e in vocabulary().elements if e.code == site["element"]), None)
    return page(request, principal, "console/site.html", {
        "site": site, "values": values, "history": history, "parameters": parameters,
        "default_parameter": next((c for c in DEFAULT_CHART_PARAMETERS if c in codes), codes[0] if codes else ""),
        "qc_keys": QC_KEYS, "qc_labels": {flag: t(key) for flag, key in QC_KEYS.items()},
        "review_labels": {state: t(f"c_rs_{state}") for state in range(4)},
        "element_name": (element.zh if language(request) == "zh" else element.en) if element else site["element"]})


@router.get("/sites/{code}/live")
async def site_live(code: str, request: Request) -> StreamingResponse:
    """Server-sent events: the site's latest values now, then every change of latest_value (polled every 2 s).

    The stream may stay open for hours, so it holds no pooled connection between polls (no connection
    dependency): the login and scope check and each poll borrow one briefly.
    """
    pool = request.app.state.pool
    async with pool.connection() as conn:
        principal = await staff_principal(request, conn)
        site = await _site(conn, principal, code)
    if not site:
        raise ApiError(404, "unknown_site", "no such site, or it is outside your access scope", {"site": code})

    async def events() -> AsyncIterator[bytes]:
        since = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        yield b"retry: 5000\n\n"
        while not await request.is_disconnected():
            async with pool.connection() as poll, poll.cursor(row_factory=dict_row) as cur:
                await cur.execute(_LIVE, (site["id"], since))
                rows = await cur.fetchall()
            if rows:
                since = max(row["updated_at"] for row in rows)
                payload = json.dumps([_live_row(row) for row in rows], ensure_ascii=False)
                yield f"event: values\ndata: {payload}\n\n".encode()
            else:
                yield b": keep-alive\n\n"
            await asyncio.sleep(LIVE_POLL_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _live_row(row: dict) -> dict:
    return {"parameter": row["parameter_code"], "interval": row["interval_kind"], "unit": row["unit"],
            "t": row["t"].isoformat(), "value": row["value"], "data_flag": row["data_flag"],
            "qc_flag": row["qc_flag"], "review_state": row["review_state"]}
