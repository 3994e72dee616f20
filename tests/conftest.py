"""Test session: the real embedded PostgreSQL and NATS, started by the project itself (never mocked).

Engines live in ECOMON_TEST_HOME (default ./var/test). When ECOMON_DATABASE_URL / ECOMON_NATS_URL are set,
the same tests run against those servers instead (CI does this once, pointing at embedded servers by URL).
Each session works in a fresh database `ecomon_test` on that server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def platform_env() -> Iterator[dict[str, str]]:
    """Engines up, fresh test database migrated; yields the URLs the tests must use."""
    from ecomon.config import get_settings, reset_settings
    from ecomon.runtime.engines import Engines
    from ecomon.store.db import migrate

    home = Path(os.environ.get("ECOMON_TEST_HOME", ROOT / "var" / "test"))
    os.environ["ECOMON_HOME"] = str(home)
    reset_settings()
    engines = Engines(get_settings())
    engines.start()
    base_url = engines.database_url()
    test_url = _fresh_database(base_url, "ecomon_test")
    os.environ["ECOMON_DATABASE_URL"] = test_url
    os.environ["ECOMON_NATS_URL"] = engines.nats_url()
    reset_settings()
    migrate(test_url)
    yield {"database_url": test_url, "nats_url": engines.nats_url(), "home": str(home)}


def _fresh_database(url: str, name: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


@pytest.fixture()
def db(platform_env: dict[str, str]) -> Iterator[psycopg.Connection]:
    from ecomon.store.db import connect

    conn = connect(platform_env["database_url"])
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need the engines are marked `engines` (CI re-runs them against servers reached by URL)."""
    for item in items:
        if "platform_env" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.engines)
