"""Every API route, enumerated from the application itself (so a route added later is covered without editing
this file): dead credentials are refused, anonymous and public callers cannot write, a county user cannot reach
another county's site, a session cannot write without its CSRF token, and hostile text in any parameter or body
field never causes a server error or comes back as markup."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from ecomon_api_world import CHAOYANG_SITE, DONGCHENG_SITE, add_user, bearer
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from ecomon.web.app import create_app

SAFE = {"GET", "HEAD", "OPTIONS"}
PASSWORD = "correct horse battery"
# Writes anyone may make: logging in, asking for an open-data key, revoking a key one holds.
ANONYMOUS_WRITES = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/opendata/keys"),
                    ("POST", "/api/v1/opendata/keys/revoke")}
# Writes on one's own account that a public (open-data) user may make as well.
SELF_SERVICE = ANONYMOUS_WRITES | {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/tokens"),
                                   ("DELETE", "/api/v1/auth/tokens/{token_id}")}
# The one route that reads no credential: it creates one.
NO_CREDENTIAL = {("POST", "/api/v1/auth/login")}
SAMPLE = {"site": DONGCHENG_SITE, "dataset": "air-hourly", "parameter": "a34004", "batch_id": "probe",
          "from": "2013-03-01", "to": "2013-03-02", "date": "2013-03-01", "month": "2013-03", "start": "2013-03"}
_ips = itertools.count(1)


APP = create_app("postgresql://unused/unused")


def api_routes() -> list[tuple[str, str]]:
    """(method, path template) of every route under /api/, from the app's own routing table."""
    return sorted({(method, ctx.path) for ctx in iter_route_contexts(APP.routes)
                   if ctx.path.startswith("/api/") for method in (ctx.methods or ()) if method != "HEAD"})


def required_query() -> dict[tuple[str, str], dict[str, str]]:
    """Sample values of the required query parameters of each operation, so a probe reaches its handler."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for path, operations in APP.openapi()["paths"].items():
        for method, op in operations.items():
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query" and p.get("required")]
            out[(method.upper(), path)] = {n: SAMPLE.get(n, "1") for n in names}
    return out


ROUTES = api_routes()
REQUIRED = required_query()
UNSAFE = [r for r in ROUTES if r[0] not in SAFE]
SITE_ROUTES = [r for r in ROUTES if "{site}" in r[1]]


def url(path: str, **values: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: quote(values.get(m.group(1), SAMPLE.get(m.group(1), "1")),
                                                         safe=""), path)


def call(c: TestClient, method: str, path: str, headers: dict | None = None, **values: str):
    body = None if method in SAFE else {}
    return c.request(method, url(path, **values), params=REQUIRED.get((method, path), {}), json=body,
                     headers=headers or {})


@pytest.fixture(scope="module")
def fresh(world) -> Iterator[TestClient]:
    """A client from its own address, so the anonymous rate limit of other tests does not interfere."""
    with TestClient(create_app(world.url), client=(f"10.8.0.{next(_ips)}", 5000)) as c:
        yield c


def test_the_route_table_is_enumerated():
    assert len(ROUTES) >= 25 and ("POST", "/api/v1/push/batches") in ROUTES and SITE_ROUTES


@pytest.fixture(scope="module")
def dead_tokens(world, wdb_module) -> dict[str, str]:
    """A revoked, an expired and a never-issued token."""
    c = TestClient(create_app(world.url))
    with c:
        made = {kind: c.post("/api/v1/auth/tokens", json={"name": kind, "scopes": ["read", "write"], "days": 1},
                             headers=bearer(world, "admin")).json() for kind in ("revoked", "expired")}
        assert c.delete(f"/api/v1/auth/tokens/{made['revoked']['id']}", headers=bearer(world, "admin")).status_code \
            == 204
    wdb_module.execute("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = %s",
                       (made["expired"]["id"],))
    wdb_module.commit()
    return {"revoked": made["revoked"]["token"], "expired": made["expired"]["token"],
            "unknown": "eco_" + "A" * 43}


@pytest.fixture(scope="module")
def wdb_module(world):
    from ecomon.store.db import connect

    conn = connect(world.url)
    yield conn
    conn.close()


@pytest.mark.parametrize("kind", ["revoked", "expired", "unknown"])
def test_dead_tokens_are_refused_on_every_route(fresh, dead_tokens, kind):
    wrong = []
    for method, path in ROUTES:
        if (method, path) in NO_CREDENTIAL:
            continue
        r = call(fresh, method, path, {"Authorization": f"Bearer {dead_tokens[kind]}"})
        if r.status_code != 401:
            wrong.append((method, path, r.status_code))
    assert not wrong, wrong


def test_anonymous_callers_cannot_write_anywhere(fresh):
    wrong = [(m, p, r.status_code) for m, p in UNSAFE if (m, p) not in ANONYMOUS_WRITES
             for r in [call(fresh, m, p)] if r.status_code not in (401, 403)]
    assert not wrong, wrong


@pytest.mark.parametrize("label", ["public_user", "enterprise"])
def test_public_and_enterprise_keys_cannot_write_outside_self_service(fresh, world, label):
    wrong = [(m, p, r.status_code) for m, p in UNSAFE if (m, p) not in SELF_SERVICE
             for r in [call(fresh, m, p, bearer(world, label))] if r.status_code != 403]
    assert not wrong, wrong


@pytest.mark.parametrize("by", ["code", "id"])
def test_county_user_cannot_reach_another_countys_site_on_any_site_route(fresh, world, by):
    other = CHAOYANG_SITE if by == "code" else str(world.site_ids[CHAOYANG_SITE])
    own = DONGCHENG_SITE if by == "code" else str(world.site_ids[DONGCHENG_SITE])
    for method, path in SITE_ROUTES:
        refused = call(fresh, method, path, bearer(world, "dongcheng"), site=other)
        allowed = call(fresh, method, path, bearer(world, "dongcheng"), site=own)
        assert refused.status_code in (403, 404), (method, path, refused.status_code)
        assert allowed.status_code != refused.status_code or allowed.status_code == 403, (method, path)


def test_enterprise_user_reaches_no_ambient_site(fresh, world):
    for method, path in SITE_ROUTES:
        assert call(fresh, method, path, bearer(world, "enterprise")).status_code in (403, 404), (method, path)


@pytest.fixture(scope="module")
def session_user(world) -> str:
    add_user(world.url, "u_every_route_session", PASSWORD, role="admin", region=None)
    return "u_every_route_session"


def test_sessions_need_csrf_on_every_write_and_die_on_logout(world, session_user):
    with TestClient(create_app(world.url), client=("10.8.1.1", 5000)) as c:
        login = c.post("/api/v1/auth/login", json={"username": session_user, "password": PASSWORD})
        csrf = login.json()["csrf_token"]
        no_csrf = [(m, p, r.status_code) for m, p in UNSAFE if (m, p) not in NO_CREDENTIAL
                   for r in [call(c, m, p)] if r.status_code != 403 or r.json()["error"]["code"] != "csrf_failed"]
        assert not no_csrf, no_csrf
        assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        c.cookies.set("ecomon_session", login.cookies["ecomon_session"])
        replayed = [(m, p, r.status_code) for m, p in ROUTES if (m, p) not in NO_CREDENTIAL
                    for r in [call(c, m, p, {"X-CSRF-Token": csrf})] if r.status_code != 401]
        assert not replayed, replayed


PAYLOADS = ["' OR '1'='1", "1; DROP TABLE site; --", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
            "${7*7}{{7*7}}", "北京'); --", "nul\x00byte", "=cmd|' /C calc'!A0"]


def _text_parameters(schema: dict) -> list[tuple[str, str, str]]:
    """(path, location, name) of every string-typed path or query parameter of every GET operation."""
    out = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            if method != "get":
                continue
            for p in op.get("parameters", []):
                types = {s.get("type") for s in [p.get("schema", {}), *p.get("schema", {}).get("anyOf", [])]}
                if "string" in types or p["in"] == "path":
                    out.append((path, p["in"], p["name"]))
    return out


def test_hostile_text_in_every_parameter_is_refused_cleanly(fresh, world):
    schema = fresh.get("/openapi.json").json()
    inputs = _text_parameters(schema)
    assert len(inputs) > 40
    for path, where, name in inputs:
        for payload in PAYLOADS:
            target = url(path, **({name: payload} if where == "path" else {}))
            params = {name: payload} if where == "query" else {}
            r = fresh.get(target, params=params, headers=bearer(world, "admin"))
            assert r.status_code < 500, (path, name, payload, r.text[:300])
            content_type = r.headers.get("content-type", "")
            assert "html" not in content_type, (path, name, content_type)
            if r.status_code == 200 and content_type.startswith("application/json"):
                assert payload not in r.text, (path, name, payload)


def _fill(schema: dict, components: dict, payload: str, depth: int = 0) -> object:
    """A JSON value of `schema` with every string set to `payload` (numbers 1, one item per array)."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {k: _fill(v, components, payload, depth + 1) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [_fill(schema.get("items", {}), components, payload, depth + 1)] if depth < 4 else []
    return {"integer": 1, "number": 1.5, "boolean": True}.get(kind, payload)


def test_hostile_text_in_every_json_body_field_is_refused_cleanly(fresh, world):
    schema = fresh.get("/openapi.json").json()
    components = schema.get("components", {}).get("schemas", {})
    bodies = [(m.upper(), p, op["requestBody"]["content"]["application/json"]["schema"])
              for p, ops in schema["paths"].items() for m, op in ops.items()
              if "application/json" in op.get("requestBody", {}).get("content", {})]
    assert any(p == "/api/v1/push/batches" for _, p, _ in bodies)
    for method, path, body_schema in bodies:
        for payload in PAYLOADS:
            r = fresh.request(method, url(path), json=_fill(body_schema, components, payload),
                              headers=bearer(world, "dongcheng"))
            assert r.status_code < 500, (method, path, payload, r.text[:300])
            assert "html" not in r.headers.get("content-type", ""), (method, path)
