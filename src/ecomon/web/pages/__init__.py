"""Server-rendered pages: the public portal (and the staff console), their static files and vendor assets."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ecomon.web.pages import assets, console, opendata, opendata_disclosure, portal


def install_pages(app: FastAPI) -> None:
    """Page routers first, then /static (the vendor route must win over the static mount)."""
    app.include_router(assets.router)
    app.include_router(portal.router)
    app.include_router(console.router)
    app.include_router(opendata.router)
    app.include_router(opendata_disclosure.router)
    app.mount("/static", StaticFiles(directory=assets.STATIC_DIR), name="static")
