"""`ecomon user create-admin` / `ecomon user add`: random passwords printed once, never a default one."""

from __future__ import annotations

import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ecomon.web.auth.cli import register


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _run(world, *args: str):
    return CliRunner().invoke(_cli(), ["user", *args, "--database-url", world.url])


def test_create_admin_prints_a_fresh_random_password_that_logs_in(world):
    from ecomon.web.app import create_app

    first = _run(world, "create-admin", "--username", "cli_admin_1")
    second = _run(world, "create-admin", "--username", "cli_admin_2")
    assert first.exit_code == 0 and second.exit_code == 0
    pw1, pw2 = first.stdout.strip().splitlines()[-1], second.stdout.strip().splitlines()[-1]
    assert pw1 != pw2 and len(pw1) >= 16
    with TestClient(create_app(world.url), client=("10.8.0.1", 5000)) as c:
        r = c.post("/api/v1/auth/login", json={"username": "cli_admin_1", "password": pw1})
        assert r.status_code == 200 and r.json()["role"] == "admin"


def test_add_user_with_role_and_region(world, wdb):
    r = _run(world, "add", "cli_dongcheng", "--role", "department", "--region", "110101")
    assert r.exit_code == 0
    row = wdb.execute("SELECT role, region_code, password_hash FROM app_user WHERE username = 'cli_dongcheng'").fetchone()
    assert row[:2] == ("department", "110101") and row[2].startswith("$argon2id$")
    actions = wdb.execute("SELECT action FROM audit_event WHERE target = 'cli_dongcheng'").fetchall()
    assert actions == [("user.create",)]


def test_add_user_refuses_unknown_region_role_and_duplicates(world):
    assert _run(world, "add", "cli_x", "--role", "department", "--region", "999999").exit_code == 2
    assert _run(world, "add", "cli_x", "--role", "mayor").exit_code == 2
    assert _run(world, "add", "cli_y", "--role", "enterprise").exit_code == 2
    assert _run(world, "add", "cli_z", "--role", "public").exit_code == 0
    assert _run(world, "add", "cli_z", "--role", "public").exit_code == 2
