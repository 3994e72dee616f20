"""Request hardening for every route: refuse NUL characters (PostgreSQL text cannot hold them) before any handler,
add defensive response headers (no MIME sniffing, so a string echoed in JSON never runs as HTML; no framing), and
limit the API request rate per key (ratelimit.py)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from ecomon.web.auth.ratelimit import install_rate_limits


def install_hardening(app: FastAPI) -> None:
    install_rate_limits(app)

    @app.middleware("http")
    async def harden(request: Request, call_next):  # type: ignore[no-untyped-def]
        if "\x00" in request.url.path or "\x00" in unquote(request.url.query):
            response = JSONResponse({"error": {"code": "invalid_characters",
                                               "message": "NUL characters are not allowed in a request",
                                               "detail": None}}, status_code=400)
        else:
            response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


# Text fields of JSON bodies (the middleware only sees the URL); PostgreSQL text cannot hold NUL.
CleanStr = Annotated[str, AfterValidator(_no_nul)]
