"""A world of its own for QC, review and audit tests (database ecomon_quality_test): Beijing regions and sites,
March 2013 of real hourly data for Dongsi (Dongcheng 110101) and Aotizhongxin (Chaoyang 110105), and one user +
API token per role that the review workflow distinguishes."""

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

from tests.conftest import _fresh_database
from tests.foundation.helpers import station_hours

DATA = Path(__file__).resolve().parents[2] / "data" / "beijing-air"
STATIONS = ("Dongsi", "Aotizhongxin")
HOURS = 31 * 24                       # March 2013 (the file starts 2013-03-01 00:00 local time)
TZ = "Asia/Shanghai"
USERS = {  # username: (role, region)
    "q_reviewer": ("reviewer", "110101"),       # station staff of Dongcheng (一审)
    "q_centre": ("centre", "110000"),           # Beijing monitoring centre (二审 / release)
    "q_centre2": ("centre", "110000"),
    "q_department": ("department", "110101"),
    "q_public": ("public", None),
}


def march_slice() -> bytes:
    return station_hours(STATIONS, HOURS)


@dataclass
class QualityWorld:
    url: str
    tokens: dict[str, str]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


async def _users(url: str) -> dict[str, str]:
    from psycopg import AsyncConnection

    from ecomon.web.auth import accounts
    from ecomon.web.auth.credentials import random_password
    from ecomon.web.auth.principal import Principal

    tokens = {}
    async with await AsyncConnection.connect(url) as conn:
        for name, (role, region) in USERS.items():
            uid = await accounts.create_user(conn, accounts.NewUser(name, role, region), random_password(), "test")
            principal = Principal(uid, name, role, region, via="token", scopes=frozenset({"read", "write"}))
            _, tokens[name] = await accounts.create_token(conn, principal, "tests", ["read", "write"],
                                                          timedelta(days=1), None)
        await conn.commit()
    return tokens


@pytest.fixture(scope="session")
def qworld(platform_env: dict[str, str]) -> QualityWorld:
    from ecomon.ingest.files.importer import import_bytes
    from ecomon.ingest.files.mapping import load_mapping
    from ecomon.registry import catalogue, store
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_quality_test")
    migrate(url)
    with connect(url) as conn:
        store.load_regions(conn, catalogue.regions())
        store.load_parameters(conn, catalogue.parameters())
        with open(DATA / "registry-sites.csv", encoding="utf-8") as fh:
            store.upsert_sites(conn, csv.DictReader(fh), "test")
        conn.commit()
        import_bytes(conn, march_slice(), "beijing-march-2013.csv", load_mapping(DATA / "mapping.toml"),
                     user="test", archive_root=Path(platform_env["home"]) / "archive", local_tz=TZ)
        conn.commit()
    return QualityWorld(url, asyncio.run(_users(url)))


@pytest.fixture()
def qdb(qworld: QualityWorld) -> Iterator[psycopg.Connection]:
    from ecomon.store.db import connect

    conn = connect(qworld.url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="session")
def qclient(qworld: QualityWorld) -> Iterator[TestClient]:
    from ecomon.web.app import create_app

    with TestClient(create_app(qworld.url)) as c:
        yield c


@pytest.fixture()
def use_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Point the CLI (settings) at a given database URL for one test."""
    from ecomon.config import reset_settings

    def point(url: str) -> None:
        monkeypatch.setenv("ECOMON_DATABASE_URL", url)
        reset_settings()

    yield point
    reset_settings()
