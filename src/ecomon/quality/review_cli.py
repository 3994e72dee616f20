"""`ecomon review …`: the review steps for scripts, acting as a named, active user of the platform.

The same functions as the web API (ecomon.quality.review), with the same role checks and the same records:
a refused step exits with status 3 and is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import typer
from psycopg import AsyncConnection

from ecomon.config import get_settings
from ecomon.quality import review
from ecomon.store.db import database_url
from ecomon.web.auth.principal import Principal

review_app = typer.Typer(help="数据审核与签发 / review, invalidate, correct and sign data.", no_args_is_help=True)

UserOpt = typer.Option(..., "--user", help="acting platform user (their role and region apply)")
SiteOpt = typer.Option(..., "--site", help="site code")


def _time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=ZoneInfo(get_settings().timezone))


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a month YYYY-MM") from None


async def _principal(conn: AsyncConnection, username: str) -> Principal:
    row = await (await conn.execute(
        "SELECT id, username, role, region_code, enterprise_id FROM app_user WHERE username = %s AND active",
        (username,))).fetchone()
    if row is None:
        raise review.NotFound(f"no active user {username!r}")
    return Principal(row[0], row[1], row[2], row[3], row[4], via="cli", scopes=frozenset({"read", "write"}))


def _run(username: str, step: Callable[[AsyncConnection, Principal, str], Awaitable[object]]) -> object:
    async def go() -> object:
        conn = await AsyncConnection.connect(database_url())
        async with conn:
            await conn.execute("SET TIME ZONE 'UTC'")
            principal = await _principal(conn, username)
            try:
                result = await step(conn, principal, get_settings().timezone)
            except review.Refused:
                await conn.commit()          # keep the record of the refused attempt
                raise
            await conn.commit()
            return result
    try:
        return asyncio.run(go())
    except review.Refused as exc:
        typer.echo(f"refused ({exc.code}): {exc.message}", err=True)
        raise typer.Exit(3) from exc
    except (review.NotFound, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@review_app.command("accept")
def accept_command(site: str = SiteOpt, start: str = typer.Option(..., "--from"), end: str = typer.Option(..., "--to"),
                   level: int = typer.Option(1, "--level", help="1 reviewed (一审), 2 audited (二审), 3 released"),
                   parameter: str | None = typer.Option(None, "--parameter"), user: str = UserOpt) -> None:
    """审核通过 / promote the values of a period one level."""
    scope = review.Scope(site, _time(start), _time(end), parameter)
    out = _run(user, lambda c, p, tz: review.accept(c, p, scope, level, tz))
    typer.echo(f"{out.changed} value(s) now {review.LEVELS[level]}; {out.skipped} skipped")  # type: ignore[attr-defined]


@review_app.command("invalidate")
def invalidate_command(site: str = SiteOpt, start: str = typer.Option(..., "--from"),
                       end: str = typer.Option(..., "--to"), reason: str = typer.Option(..., "--reason"),
                       parameter: str | None = typer.Option(None, "--parameter"), user: str = UserOpt) -> None:
    """判为无效 / mark the values of a period invalid, with a reason."""
    scope = review.Scope(site, _time(start), _time(end), parameter)
    out = _run(user, lambda c, p, tz: review.invalidate(c, p, scope, reason, tz))
    typer.echo(f"{out.changed} value(s) invalidated")  # type: ignore[attr-defined]


@review_app.command("correct")
def correct_command(site: str = SiteOpt, parameter: str = typer.Option(..., "--parameter"),
                    at: str = typer.Option(..., "--time"), value: float = typer.Option(..., "--value"),
                    reason: str = typer.Option(..., "--reason"), user: str = UserOpt) -> None:
    """修正数值 / replace one value (the original is kept), with a reason."""
    _run(user, lambda c, p, tz: review.correct(c, p, site, parameter, _time(at), value, reason, tz))
    typer.echo("corrected; the original value is kept in the history")


@review_app.command("sign")
def sign_command(site: str = SiteOpt, month: str = typer.Option(..., "--month", help="YYYY-MM"),
                 level: int = typer.Option(..., "--level"), user: str = UserOpt) -> None:
    """电子签发 / sign a site-month at a level as the named user."""
    out = _run(user, lambda c, p, tz: review.sign(c, p, site, _month(month), level, tz))
    typer.echo(f"signed {out['month']} level {level} by {out['signed_by']}: {out['signature']}")  # type: ignore[index]


@review_app.command("reopen")
def reopen_command(site: str = SiteOpt, month: str = typer.Option(..., "--month", help="YYYY-MM"),
                   reason: str = typer.Option(..., "--reason"), user: str = UserOpt) -> None:
    """撤销签发 / reopen a signed site-month, with a reason."""
    n = _run(user, lambda c, p, tz: review.reopen(c, p, site, _month(month), reason, tz))
    typer.echo(f"{n} sign-off(s) reopened")


def register(app: typer.Typer) -> None:
    """Attach `ecomon review …` to the root app."""
    app.add_typer(review_app, name="review")
