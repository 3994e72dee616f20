"""The console's test world: its own database with the Beijing registry, two days of hourly data and three users.

Users: `admin` (national administrator), `chaoyang` (monitoring-centre staff of 朝阳区 110105, which has two of
the twelve stations: Aotizhongxin and Nongzhanguan) and `viewer` (a national reviewer, who may read but not edit
the registry). Each test client logs in through the real login API and keeps its session cookie and CSRF token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.web.web_portal_data import last_days_database

PASSWORD = "console-test-password-1"
CHAOYANG = "110105"
CHAOYANG_SITES = {"Aotizhongxin", "Nongzhanguan"}
USERS = (("admin", "admin", None), ("chaoyang", "centre", CHAOYANG), ("viewer", "reviewer", None))


@dataclass
class Session:
    client: TestClient
    csrf: str

    def write(self, method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
        """An unsafe request the way the console's script sends it (session cookie + X-CSRF-Token)."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)


async def _create_users(url: str) -> None:
    from ecomon.web.auth import accounts

    async with await psycopg.AsyncConnection.connect(url) as conn:
        for username, role, region in USERS:
            await accounts.create_user(conn, accounts.NewUser(username, role, region), PASSWORD, "test")
        await conn.commit()


@pytest.fixture(scope="session")
def console_url(platform_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    url = last_days_database(platform_env["database_url"], "ecomon_console_test", tmp_path_factory.mktemp("archive"))
    asyncio.run(_create_users(url))
    return url


@pytest.fixture(scope="module")
def app_client(console_url: str) -> Iterator[TestClient]:
    from ecomon.web.app import create_app

    with TestClient(create_app(console_url)) as client:
        yield client


def login(client: TestClient, username: str) -> Session:
    client.cookies.clear()
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Session(client, response.json()["csrf_token"])


@pytest.fixture(scope="module")
def sessions(console_url: str) -> Iterator[dict[str, Session]]:
    """One logged-in client per test user (each with its own cookie jar)."""
    from ecomon.web.app import create_app

    clients = {name: TestClient(create_app(console_url)) for name, _, _ in USERS}
    for client in clients.values():
        client.__enter__()
    try:
        yield {name: login(client, name) for name, client in clients.items()}
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
