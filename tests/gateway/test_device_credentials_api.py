"""`POST /api/v1/devices/{mn}/password`: an access-password change (1072) through the API, with the roles, region
scope and audit of the command routes; the generated password is returned once and stored only hashed/sealed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from gateway_support import api_tokens, register_stations

from ecomon.ingest.hj212.simulator import device_mn

USERS = {"admin": ("admin", None), "reviewer": ("reviewer", "110000"), "tianjin_centre": ("centre", "120000")}
MN = device_mn("E6", 1)


@pytest.fixture(scope="module")
def world(gateway_env: dict[str, str]) -> dict:
    url = gateway_env["database_url"]
    register_stations(url, "E6", 1)
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO region (code, name_zh, level) VALUES ('120000', '天津市', 'province') "
                     "ON CONFLICT DO NOTHING")
    users = {label: (role, region, None) for label, (role, region) in USERS.items()}
    return {"url": url, "tokens": api_tokens(url, "cred_api", users)}


@pytest.fixture(scope="module")
def client(world: dict) -> Iterator[TestClient]:
    from ecomon.web.app import create_app

    with TestClient(create_app(world["url"])) as c:
        yield c


def as_(world: dict, label: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][label]}"}


def test_operators_in_scope_change_a_password_once_at_a_time_and_each_request_is_audited(
        client: TestClient, world: dict) -> None:
    url, route = world["url"], f"/api/v1/devices/{MN}/password"
    assert client.post(route, json={}).status_code == 401
    assert client.post(route, json={}, headers=as_(world, "reviewer")).status_code == 403
    assert client.post(route, json={}, headers=as_(world, "tianjin_centre")).status_code == 404  # other region
    bad = client.post(route, json={"password": "ab;cd"}, headers=as_(world, "admin"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_password"

    first = client.post(route, json={}, headers=as_(world, "admin"))
    assert first.status_code == 202, first.text
    generated = first.json()["password"]
    assert len(generated) == 6 and generated.isalnum()
    second = client.post(route, json={"password": "Xy12Zq"}, headers=as_(world, "admin"))
    assert second.status_code == 202, second.text
    assert second.json()["superseded"] == first.json()["change"] and "password" not in second.json()

    with psycopg.connect(url) as conn:  # the second change went out to the device: a third must wait for it
        conn.execute("UPDATE device_command SET state = 'sent' WHERE id = %s", (second.json()["command"],))
    busy = client.post(route, json={}, headers=as_(world, "admin"))
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "password_change_open"

    detail = client.get(f"/api/v1/devices/{MN}", headers=as_(world, "reviewer")).json()
    assert [c["state"] for c in detail["password_changes"]] == ["pending", "superseded"]
    assert detail["keys"] == []
    assert not {"new_hash", "old_hash", "sealed_password"} & set(detail["password_changes"][0])
    with psycopg.connect(url) as conn:
        audit = conn.execute("SELECT actor, action, detail FROM audit_event WHERE target = %s "
                             "AND action LIKE 'hj212.device.password.%%' ORDER BY id", (MN,)).fetchall()
        commands = conn.execute("SELECT cn, cp, origin, requested_by FROM device_command c JOIN device d "
                                "ON d.id = c.device_id WHERE d.mn = %s ORDER BY c.id", (MN,)).fetchall()
    assert [(a[0], a[1]) for a in audit] == [("cred_api_admin", "hj212.device.password.requested")] * 2
    assert audit[1][2]["superseded"] == first.json()["change"]
    assert commands == [("1072", {}, "password_change", "user:cred_api_admin")] * 2
    assert generated not in json.dumps(audit) and "Xy12Zq" not in json.dumps(audit)
