"""A small real world for the API and security tests: Beijing regions and sites, 72 h of real hourly data for a
Chaoyang (110105) and a Dongcheng (110101) site, one enterprise, and one user + API token per role."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.foundation.helpers import station_hours

DATA = Path(__file__).resolve().parents[2] / "data" / "beijing-air"
HOURS = 72
CHAOYANG_SITE, DONGCHENG_SITE = "Aotizhongxin", "Dongsi"
USCC = "91110105MA01ABCD3X"
WORLD_DB = "ecomon_api_test"


def beijing_slice() -> bytes:
    """Header plus the first HOURS rows of the Aotizhongxin and Dongsi stations (the file's real rows)."""
    return station_hours((CHAOYANG_SITE, DONGCHENG_SITE), HOURS)


@dataclass
class World:
    url: str
    tokens: dict[str, str]          # role label -> bearer token
    site_ids: dict[str, int]
    enterprise_id: int


ROLE_USERS = {  # label: (role, region, enterprise?)
    "admin": ("admin", None, False),
    "beijing_centre": ("centre", "110000", False),
    "dongcheng": ("department", "110101", False),
    "chaoyang": ("department", "110105", False),
    "reviewer_dongcheng": ("reviewer", "110101", False),
    "public_user": ("public", None, False),
    "enterprise": ("enterprise", "110105", True),
}


def _load(url: str, home: Path) -> World:
    from ecomon.ingest.files.importer import import_bytes
    from ecomon.ingest.files.mapping import load_mapping
    from ecomon.registry import catalogue, store
    from ecomon.store import aggregates
    from ecomon.store.db import connect

    with connect(url) as conn:
        store.load_regions(conn, catalogue.regions())
        store.load_parameters(conn, catalogue.parameters())
        with open(DATA / "registry-sites.csv", encoding="utf-8") as fh:
            store.upsert_sites(conn, csv.DictReader(fh), "test")
        conn.commit()
        import_bytes(conn, beijing_slice(), "beijing-slice.csv", load_mapping(DATA / "mapping.toml"), user="test",
                     archive_root=home / "archive",
                     local_tz="Asia/Shanghai")
        aggregates.rebuild_dirty(conn, "Asia/Shanghai")
        # Dongsi's data is released (review_state 3); Aotizhongxin's stays preliminary.
        for table in ("observation", "latest_value"):
            conn.execute(f"""UPDATE {table} SET review_state = 3 WHERE series_id IN
                             (SELECT se.id FROM series se JOIN site s ON s.id = se.site_id WHERE s.code = %s)""",
                         (DONGCHENG_SITE,))
        enterprise_id = conn.execute(
            """INSERT INTO enterprise (uscc, name_zh, region_code, updated_by) VALUES (%s, '测试热电厂', '110105', 'test')
               ON CONFLICT (uscc) DO UPDATE SET name_zh = excluded.name_zh RETURNING id""", (USCC,)).fetchone()[0]
        site_ids = dict(conn.execute("SELECT code, id FROM site").fetchall())
        conn.commit()
    tokens = asyncio.run(_users(url, enterprise_id))
    return World(url, tokens, site_ids, enterprise_id)


async def _users(url: str, enterprise_id: int) -> dict[str, str]:
    from psycopg import AsyncConnection

    from ecomon.web.auth import accounts
    from ecomon.web.auth.credentials import random_password

    tokens = {}
    async with await AsyncConnection.connect(url) as conn:
        for label, (role, region, is_enterprise) in ROLE_USERS.items():
            name = f"t_{label}"
            row = await (await conn.execute("SELECT id FROM app_user WHERE username = %s", (name,))).fetchone()
            if row is None:
                await accounts.create_user(conn, accounts.NewUser(name, role, region,
                                                                  enterprise_id if is_enterprise else None),
                                           random_password(), "test")
            principal = _principal_of(await (await conn.execute(
                "SELECT id, username, role, region_code, enterprise_id FROM app_user WHERE username = %s",
                (name,))).fetchone())
            _, tokens[label] = await accounts.create_token(conn, principal, "tests", ["read", "write"],
                                                           timedelta(days=1), None)
        await conn.commit()
    return tokens


def _principal_of(row: tuple):
    from ecomon.web.auth.principal import Principal

    return Principal(*row, via="token", scopes=frozenset({"read", "write"}))


@pytest.fixture(scope="session")
def world(platform_env: dict[str, str]) -> World:
    """A database of its own on the test server, so the counts here and the other areas' data never mix."""
    from ecomon.store.db import migrate

    base = platform_env["database_url"]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{WORLD_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{WORLD_DB}"')
    url = f"{base.rpartition('/')[0]}/{WORLD_DB}"
    migrate(url)
    return _load(url, Path(platform_env["home"]))


@pytest.fixture()
def wdb(world: World) -> Iterator[psycopg.Connection]:
    """A connection to the world's database."""
    from ecomon.store.db import connect

    conn = connect(world.url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="session")
def client(world: World):
    from ecomon.web.app import create_app

    with TestClient(create_app(world.url)) as c:
        yield c


def bearer(world: World, label: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[label]}"}


def add_user(url: str, username: str, password: str, role: str = "department", region: str | None = "110101") -> None:
    from psycopg import AsyncConnection

    from ecomon.web.auth import accounts

    async def run() -> None:
        async with await AsyncConnection.connect(url) as conn:
            await accounts.create_user(conn, accounts.NewUser(username, role, region), password, "test")
            await conn.commit()

    asyncio.run(run())


__all__ = ["World", "add_user", "bearer", "client", "wdb", "world"]
