"""FastAPI application factory: JSON API under /api/v1, health, console and portal pages."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from ecomon import __version__
from ecomon.web import health
from ecomon.web.api import router as api_router
from ecomon.web.auth.hardening import install_hardening
from ecomon.web.dbpool import close_pool, open_pool
from ecomon.web.errors import install_error_handlers
from ecomon.web.pages import install_pages


def create_app(database_url: str | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await open_pool(app, database_url)
        try:
            yield
        finally:
            await close_pool(app)

    app = FastAPI(
        title="ecomon API",
        version=__version__,
        description="生态环境监测平台开放接口 / ecomon monitoring platform API",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_hardening(app)
    app.include_router(health.router)
    app.include_router(api_router)
    install_pages(app)
    return app
