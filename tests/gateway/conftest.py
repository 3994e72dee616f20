"""Gateway tests run the real `ecomon hj212 serve` and `ecomon hj212 writer` processes against the session's
PostgreSQL and NATS JetStream, on a stream of their own so no other run's messages reach this database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from gateway_support import Services, free_port


@pytest.fixture(scope="module")
def services(platform_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    svc = Services(f"T{uuid.uuid4().hex[:12].upper()}", free_port(), tmp_path_factory.mktemp("gateway"))
    svc.start_gateway()
    svc.start_writer()
    try:
        yield svc
    finally:
        svc.stop()
