"""Schema and aggregate maintenance: `ecomon migrate`, `ecomon aggregate`."""

from __future__ import annotations

import typer

from ecomon.config import get_settings
from ecomon.store import aggregates
from ecomon.store.db import connect, migrate


def migrate_command() -> None:
    """升级数据库结构 / bring the database schema up to date (engines must be running or external)."""
    migrate()
    typer.echo("schema is up to date")


def aggregate_command() -> None:
    """重算待更新的统计值 / rebuild aggregates for days marked dirty by late or revised data."""
    with connect() as conn:
        days = aggregates.rebuild_dirty(conn, get_settings().timezone)
        conn.commit()
    typer.echo(f"rebuilt aggregates for {days} series-days")


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_command)
    app.command("aggregate")(aggregate_command)
