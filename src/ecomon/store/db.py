"""Database connections and migrations; the only place that knows how to reach PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import psycopg

from ecomon.config import get_settings
from ecomon.runtime.engines import Engines


def database_url() -> str:
    return Engines(get_settings()).database_url()


def sqlalchemy_url(url: str | None = None) -> str:
    url = url or database_url()
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1)


def connect(url: str | None = None, **kwargs: object) -> psycopg.Connection:
    """A new connection; the application always works in UTC and converts at the edges."""
    conn = psycopg.connect(url or database_url(), **kwargs)  # type: ignore[arg-type]
    conn.execute("SET TIME ZONE 'UTC'")
    conn.commit()
    return conn


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(Path(__file__).with_name("alembic.ini")))
    cfg.attributes["url"] = sqlalchemy_url(url)
    command.upgrade(cfg, "head")


def schema_revision(conn: psycopg.Connection) -> str | None:
    row = conn.execute(
        "SELECT version_num FROM alembic_version" if _has_table(conn, "alembic_version") else "SELECT NULL"
    ).fetchone()
    return row[0] if row else None


def _has_table(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]  # type: ignore[index]
