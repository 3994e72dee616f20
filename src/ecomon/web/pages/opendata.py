"""Open-data pages of the portal: the catalogue (licences, attribution, bulk CSV links) and API-key sign-up.

The sign-up form posts here; the key is rendered once on the answer page (never stored in plain text, never
sent again). The page carries no session, so the form needs no CSRF token; sign-up limits apply as in the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from psycopg import AsyncConnection

from ecomon.web.api.opendata import CATALOGUE, dataset_info
from ecomon.web.auth import accounts
from ecomon.web.auth.signup import sign_up
from ecomon.web.dbpool import connection
from ecomon.web.pages.templating import render

router = APIRouter(include_in_schema=False)
Connection = Annotated[AsyncConnection, Depends(connection)]

_REFUSALS = {"invalid_email": "signup_bad_email", "invalid_purpose": "signup_bad_purpose",
             "rate_limited": "signup_rate_limited"}


async def _station_codes(conn: AsyncConnection) -> list[str]:
    rows = await (await conn.execute(
        "SELECT code FROM site WHERE state = 'active' AND element = 'air' ORDER BY code")).fetchall()
    return [code for (code,) in rows]


@router.get("/opendata", response_class=HTMLResponse)
async def catalogue_page(request: Request, conn: Connection) -> HTMLResponse:
    return render(request, "portal/opendata.html",
                  {"datasets": [dataset_info(d) for d in CATALOGUE.values()], "stations": await _station_codes(conn),
                   "issued": None, "refusal": None, "form": {"email": "", "purpose": ""}})


@router.post("/opendata/keys", response_class=HTMLResponse)
async def signup_form(request: Request, conn: Connection, email: Annotated[str, Form(max_length=254)],
                      purpose: Annotated[str, Form(max_length=500)]) -> HTMLResponse:
    issued, refusal, status = None, None, 201
    try:
        issued = await sign_up(conn, email.replace("\x00", ""), purpose.replace("\x00", ""),
                               request.client.host if request.client else None)
        await conn.commit()
    except accounts.AccountError as exc:
        await conn.rollback()
        refusal, status = _REFUSALS.get(exc.code, "signup_bad_purpose"), 429 if exc.code == "rate_limited" else 422
    response = render(request, "portal/opendata.html",
                      {"datasets": [dataset_info(d) for d in CATALOGUE.values()],
                       "stations": await _station_codes(conn), "issued": issued, "refusal": refusal,
                       "form": {"email": email, "purpose": purpose}}, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # the key must not stay in any cache
    return response
