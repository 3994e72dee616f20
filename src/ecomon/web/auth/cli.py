"""`ecomon user`: create the first admin (random password printed once) and add users with a role and region."""

from __future__ import annotations

import asyncio
import getpass

import typer
from psycopg import AsyncConnection
from rich.console import Console

from ecomon.web.auth import accounts
from ecomon.web.auth.credentials import random_password
from ecomon.web.auth.principal import ROLES

console = Console(stderr=True)
user_app = typer.Typer(help="用户管理 / user accounts.", no_args_is_help=True)


async def _create(url: str, user: accounts.NewUser, password: str) -> int:
    conn = await AsyncConnection.connect(url)
    async with conn:
        user_id = await accounts.create_user(conn, user, password, f"cli:{getpass.getuser()}")
        await conn.commit()
        return user_id


def _add(user: accounts.NewUser, url: str | None) -> None:
    from ecomon.store.db import database_url

    password = random_password()
    try:
        user_id = asyncio.run(_create(url or database_url(), user, password))
    except accounts.AccountError as exc:
        console.print(f"[red]{exc.code}:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"user {user.username!r} (id {user_id}, role {user.role}) created; the password is shown once:")
    print(password)


@user_app.command("create-admin")
def create_admin(
    username: str = typer.Option("admin", help="login name of the administrator"),
    database_url: str = typer.Option(None, "--database-url", envvar="ECOMON_DATABASE_URL", hidden=True),
) -> None:
    """Create a national administrator with a random password, printed once (there is no default password)."""
    _add(accounts.NewUser(username, "admin"), database_url)


@user_app.command("add")
def add_user(
    username: str = typer.Argument(..., help="login name"),
    role: str = typer.Option(..., "--role", help=f"one of: {', '.join(ROLES)}"),
    region: str = typer.Option(None, "--region", help="GB/T 2260 code; the user sees this region and below"),
    enterprise: int = typer.Option(None, "--enterprise", help="enterprise id (role enterprise only)"),
    name: str = typer.Option(None, "--name", help="display name"),
    database_url: str = typer.Option(None, "--database-url", envvar="ECOMON_DATABASE_URL", hidden=True),
) -> None:
    """Add a user with a role and optional region scope; a random password is printed once."""
    _add(accounts.NewUser(username, role, region, enterprise, name), database_url)


async def _reset(url: str, username: str, password: str) -> None:
    conn = await AsyncConnection.connect(url)
    async with conn:
        await accounts.set_password(conn, username, password, f"cli:{getpass.getuser()}")
        await conn.commit()


@user_app.command("reset-password")
def reset_password(
    username: str = typer.Argument(..., help="login name"),
    database_url: str = typer.Option(None, "--database-url", envvar="ECOMON_DATABASE_URL", hidden=True),
) -> None:
    """Give a user a new random password (printed once) and end their sessions."""
    from ecomon.store.db import database_url as default_url

    password = random_password()
    try:
        asyncio.run(_reset(database_url or default_url(), username, password))
    except accounts.AccountError as exc:
        console.print(f"[red]{exc.code}:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"new password for {username!r}, shown once:")
    print(password)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
