"""Gateway tests run the real `ecomon hj212 serve` and `ecomon hj212 writer` processes against their own database
(ecomon_gateway_test on the session's PostgreSQL) and NATS JetStream, on a stream of their own per module, so no
other area's data or messages mix with theirs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from gateway_support import Services, free_port

from tests.conftest import _fresh_database


@pytest.fixture(scope="session")
def gateway_env(platform_env: dict[str, str]) -> dict[str, str]:
    from ecomon.store.db import migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_gateway_test")
    migrate(url)
    return {**platform_env, "database_url": url}


def start_services(gateway_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
                   *gateway_args: str) -> Services:
    svc = Services(f"T{uuid.uuid4().hex[:12].upper()}", free_port(), tmp_path_factory.mktemp("gateway"),
                   gateway_env["database_url"], gateway_args)
    svc.start_gateway()
    svc.start_writer()
    return svc


@pytest.fixture(scope="module")
def services(gateway_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    svc = start_services(gateway_env, tmp_path_factory, "--gap-scan", "1", "--clock-bound", "60")
    try:
        yield svc
    finally:
        svc.stop()
