"""Property-based fuzzing (schemathesis) of the evaluation and report routes: no input yields a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

PREFIXES = ("/api/v1/aqi", "/api/v1/rankings", "/api/v1/water", "/api/v1/sources", "/api/v1/reports", "/api/v1/noise",
            "/api/v1/radiation")


def test_evaluation_routes_never_fail_with_a_server_error(api, evaluated):
    from ecomon.web.app import create_app

    _, auth = api
    # An app of its own: schemathesis runs the ASGI lifespan, whose shutdown closes the app's pool, which would
    # leave the shared `api` client without connections for the tests after this one.
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(evaluated))
    operations = [r.ok() for r in schema.get_all_operations()]
    ours = [op for op in operations if op.path.startswith(PREFIXES)]
    assert len(ours) == 12
    for operation in ours:
        for headers in ({}, auth["chaoyang"]):
            _fuzz(operation, headers)


def _fuzz(operation, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, case.as_curl_command(headers=headers)

    check()
