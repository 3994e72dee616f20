"""Sessions (HttpOnly SameSite cookie + CSRF), API tokens (hashed, scoped, expiring, revocable), login lock-out,
and the audit trail of every write."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest
from ecomon_api_world import add_user, bearer
from fastapi.testclient import TestClient

from ecomon.web.auth.accounts import LOCKOUT_FAILURES

_ips = itertools.count(1)
PASSWORD = "correct horse battery"


@pytest.fixture()
def fresh(world) -> Iterator[TestClient]:
    """A client from its own address, so rate limits of other tests do not interfere."""
    from ecomon.web.app import create_app

    with TestClient(create_app(world.url), client=(f"10.9.0.{next(_ips)}", 5000)) as c:
        yield c


@pytest.fixture()
def user(world, request) -> str:
    name = f"u_{request.node.name[5:40]}".replace("[", "_").replace("]", "")
    add_user(world.url, name, PASSWORD)
    return name


def _login(c: TestClient, name: str, password: str = PASSWORD):
    return c.post("/api/v1/auth/login", json={"username": name, "password": password})


def test_login_sets_httponly_samesite_cookie_and_csrf(fresh, user):
    r = _login(fresh, user)
    assert r.status_code == 200 and r.json()["role"] == "department" and r.json()["csrf_token"]
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("ecomon_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert fresh.get("/api/v1/auth/me").json()["username"] == user


def test_unsafe_request_with_session_needs_csrf_header(fresh, user):
    csrf = _login(fresh, user).json()["csrf_token"]
    r = fresh.post("/api/v1/auth/tokens", json={"name": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = fresh.post("/api/v1/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert fresh.post("/api/v1/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_logged_out_session_cannot_be_replayed(fresh, user):
    csrf = _login(fresh, user).json()["csrf_token"]
    session = fresh.cookies.get("ecomon_session")
    assert fresh.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    fresh.cookies.set("ecomon_session", session)
    r = fresh.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"


def test_wrong_password_refused_without_saying_which_part(fresh, user):
    a = _login(fresh, user, "wrong password 1")
    b = _login(fresh, "no_such_user", "wrong password 1")
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


def test_lockout_after_repeated_failures_even_with_the_right_password(fresh, user):
    for _ in range(LOCKOUT_FAILURES):
        assert _login(fresh, user, "bad password!!").status_code == 401
    r = _login(fresh, user)
    assert r.status_code == 429 and r.json()["error"]["code"] == "account_locked"


def test_token_is_stored_hashed_and_revoked_token_is_refused(fresh, user, wdb):
    csrf = _login(fresh, user).json()["csrf_token"]
    created = fresh.post("/api/v1/auth/tokens", json={"name": "ci", "scopes": ["read"], "days": 7},
                         headers={"X-CSRF-Token": csrf}).json()
    token = created["token"]
    assert wdb.execute("SELECT count(*) FROM api_token WHERE token_hash = %s", (token,)).fetchone()[0] == 0
    api = {"Authorization": f"Bearer {token}"}
    assert fresh.get("/api/v1/auth/me", headers=api).status_code == 200
    r = fresh.delete(f"/api/v1/auth/tokens/{created['id']}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    r = fresh.get("/api/v1/sites", headers=api)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


def test_expired_token_is_refused(fresh, world, wdb):
    r = fresh.post("/api/v1/auth/tokens", json={"name": "short"}, headers=bearer(world, "chaoyang"))
    token_id, token = r.json()["id"], r.json()["token"]
    wdb.execute("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = %s", (token_id,))
    wdb.commit()
    r = fresh.get("/api/v1/sites", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


def test_read_only_token_cannot_write(fresh, world):
    token = fresh.post("/api/v1/auth/tokens", json={"name": "ro", "scopes": ["read"]},
                       headers=bearer(world, "chaoyang")).json()["token"]
    r = fresh.post("/api/v1/auth/tokens", json={"name": "escalate", "scopes": ["read"]},
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"


def test_users_cannot_revoke_other_users_tokens(fresh, world):
    victim = fresh.post("/api/v1/auth/tokens", json={"name": "victim"}, headers=bearer(world, "chaoyang")).json()
    r = fresh.delete(f"/api/v1/auth/tokens/{victim['id']}", headers=bearer(world, "dongcheng"))
    assert r.status_code == 404
    assert fresh.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {victim['token']}"}).status_code == 200


def test_only_admin_creates_users_and_weak_passwords_are_refused(fresh, world):
    body = {"username": "new_dept", "password": "long enough password", "role": "department", "region_code": "110101"}
    assert fresh.post("/api/v1/auth/users", json=body, headers=bearer(world, "beijing_centre")).status_code == 403
    assert fresh.post("/api/v1/auth/users", json=body).status_code == 401
    r = fresh.post("/api/v1/auth/users", json=body | {"password": "short"}, headers=bearer(world, "admin"))
    assert r.status_code == 422
    r = fresh.post("/api/v1/auth/users", json=body, headers=bearer(world, "admin"))
    assert r.status_code == 201
    r = fresh.post("/api/v1/auth/users", json=body, headers=bearer(world, "admin"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "username_taken"


def test_every_write_and_login_is_audited(fresh, user, wdb):
    csrf = _login(fresh, user).json()["csrf_token"]
    _login(fresh, user, "not the password")
    token_id = fresh.post("/api/v1/auth/tokens", json={"name": "a"}, headers={"X-CSRF-Token": csrf}).json()["id"]
    fresh.delete(f"/api/v1/auth/tokens/{token_id}", headers={"X-CSRF-Token": csrf})
    fresh.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    actions = [row[0] for row in wdb.execute(
        "SELECT action FROM audit_event WHERE actor = %s OR target = %s ORDER BY id", (user, user)).fetchall()]
    assert actions == ["user.create", "login.ok", "login.failed", "token.create", "token.revoke", "logout"]


def test_audit_trail_is_append_only(wdb):
    with pytest.raises(psycopg.errors.RaiseException):
        wdb.execute("UPDATE audit_event SET actor = 'someone else'")
    wdb.rollback()
    with pytest.raises(psycopg.errors.RaiseException):
        wdb.execute("DELETE FROM audit_event")
    wdb.rollback()
