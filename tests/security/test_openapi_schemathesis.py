"""Property-based fuzzing of every operation in the OpenAPI document (schemathesis): no input yields a 5xx."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

SCANNER = "t_schemathesis"


@pytest.fixture(scope="session")
def scanner_token(world) -> str:
    """A national centre user of its own, so what the fuzzer creates or revokes touches no other test's tokens."""
    from psycopg import AsyncConnection

    from ecomon.web.auth import accounts
    from ecomon.web.auth.credentials import random_password
    from ecomon.web.auth.principal import Principal

    async def run() -> str:
        async with await AsyncConnection.connect(world.url) as conn:
            user_id = await accounts.create_user(conn, accounts.NewUser(SCANNER, "centre"), random_password(), "test")
            principal = Principal(user_id, SCANNER, "centre", via="token", scopes=frozenset({"read", "write"}))
            _, token = await accounts.create_token(conn, principal, "fuzz", ["read", "write"], timedelta(days=1), None)
            await conn.commit()
            return token

    return asyncio.run(run())


@pytest.fixture(scope="session")
def api_schema(world):
    from ecomon.web.app import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(world.url))


def _fuzz(api_schema, headers: dict[str, str]) -> int:
    """Every operation, 10 generated cases each; returns how many operations were exercised."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, case.as_curl_command(headers=headers)

        check()
    return len(operations)


def test_anonymous_input_never_causes_a_server_error(api_schema):
    assert _fuzz(api_schema, {}) >= 17


def test_staff_input_never_causes_a_server_error(api_schema, scanner_token):
    assert _fuzz(api_schema, {"Authorization": f"Bearer {scanner_token}"}) >= 17
