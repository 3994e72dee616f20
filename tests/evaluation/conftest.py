"""Evaluation tests: their own database, the 12 Beijing stations, March 2013 and March 2014 of the real file."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from tests.conftest import _fresh_database
from tests.foundation.helpers import HOURLY, ensure_registry, run_import

TZ = "Asia/Shanghai"
MONTHS = ("2013,3,", "2014,3,")


def beijing_months(prefixes: tuple[str, ...] = MONTHS) -> str:
    """Header plus the rows of the real hourly file whose year,month start with one of `prefixes`."""
    with gzip.open(HOURLY, "rt", encoding="utf-8") as fh:
        header = next(fh)
        return header + "".join(line for line in fh if line.startswith(prefixes))


@pytest.fixture(scope="session")
def evaluation_url(platform_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    from ecomon.store import aggregates
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_evaluation_test")
    migrate(url)
    with connect(url) as conn:
        ensure_registry(conn)
        run_import(conn, beijing_months(), Path(tmp_path_factory.mktemp("archive")), "beijing-march.csv")
        aggregates.rebuild_dirty(conn, TZ)
        conn.commit()
    return url


@pytest.fixture()
def db(evaluation_url: str) -> Iterator[psycopg.Connection]:
    from ecomon.store.db import connect

    conn = connect(evaluation_url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="session")
def evaluated(evaluation_url: str) -> str:
    """March 2013 and March 2014 evaluated under the rules in force (HJ 633-2012)."""
    import datetime as dt

    from ecomon.evaluation import runner
    from ecomon.store.db import connect

    with connect(evaluation_url) as conn:
        for year in (2013, 2014):
            runner.run(conn, dt.date(year, 3, 1), dt.date(year, 3, 31), TZ)
        conn.execute("DELETE FROM evaluation_dirty")
        conn.commit()
    return evaluation_url


USERS = {"admin": ("admin", None), "chaoyang": ("department", "110105"), "public_user": ("public", None)}


async def _tokens(url: str) -> dict[str, str]:
    from psycopg import AsyncConnection

    from ecomon.web.auth import accounts
    from ecomon.web.auth.credentials import random_password
    from ecomon.web.auth.principal import Principal

    tokens = {}
    async with await AsyncConnection.connect(url) as conn:
        for label, (role, region) in USERS.items():
            user_id = await accounts.create_user(conn, accounts.NewUser(f"e_{label}", role, region),
                                                 random_password(), "test")
            principal = Principal(user_id, f"e_{label}", role, region, via="token", scopes=frozenset({"read"}))
            _, tokens[label] = await accounts.create_token(conn, principal, "tests", ["read"], timedelta(hours=1),
                                                           None)
        await conn.commit()
    return tokens


@pytest.fixture(scope="session")
def api(evaluated: str):
    """A test client of the app on the evaluation database and bearer headers for an admin, a 朝阳区 department
    user and a public user."""
    from fastapi.testclient import TestClient

    from ecomon.web.app import create_app

    tokens = asyncio.run(_tokens(evaluated))
    with TestClient(create_app(evaluated)) as client:
        yield client, {label: {"Authorization": f"Bearer {token}"} for label, token in tokens.items()}
