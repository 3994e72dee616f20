"""Foundation tests use their own database so other areas' data cannot change their counts."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import _fresh_database


@pytest.fixture(scope="session")
def foundation_url(platform_env: dict[str, str]) -> str:
    from ecomon.store.db import migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_foundation_test")
    migrate(url)
    return url


@pytest.fixture()
def db(foundation_url: str) -> Iterator[psycopg.Connection]:
    from ecomon.store.db import connect

    conn = connect(foundation_url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()
