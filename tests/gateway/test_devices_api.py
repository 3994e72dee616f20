"""`/api/v1/devices`: device state and commands through the API, scoped like series (region of the site, or the
outlet's enterprise), commands only for operators, every queued command attributed and audited."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from gateway_support import PASSWORD, api_tokens, register_stations

from ecomon.ingest.hj212.gateway.devices import register_device
from ecomon.ingest.hj212.simulator import device_mn

USERS = {"admin": ("admin", None, False), "reviewer": ("reviewer", "110000", False),
         "tianjin": ("department", "120000", False), "public": ("public", None, False),
         "plant": ("enterprise", None, True)}
OUTLET_MN = "D2" + "0" * 21 + "1"


@pytest.fixture(scope="module")
def world(gateway_env: dict[str, str]) -> dict:
    url = gateway_env["database_url"]
    register_stations(url, "D1", 1)
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO region (code, name_zh, level) VALUES ('120000', '天津市', 'province') "
                     "ON CONFLICT DO NOTHING")
        enterprise = conn.execute(
            "INSERT INTO enterprise (uscc, name_zh, region_code, updated_by) VALUES ('91110000MA0000000D', "
            "'接口测试企业', '110000', 'test') RETURNING id").fetchone()[0]
        outlet = conn.execute("INSERT INTO outlet (enterprise_id, code, name_zh, kind, updated_by) "
                              "VALUES (%s, 'DA001', '排口', 'gas', 'test') RETURNING id", (enterprise,)).fetchone()[0]
        register_device(conn, OUTLET_MN, PASSWORD, site_id=None, outlet_id=outlet, updated_by="test")
    users = {label: (role, region, enterprise if is_enterprise else None)
             for label, (role, region, is_enterprise) in USERS.items()}
    return {"url": url, "tokens": api_tokens(url, "dev_api", users)}


@pytest.fixture(scope="module")
def client(world: dict) -> Iterator[TestClient]:
    from ecomon.web.app import create_app

    with TestClient(create_app(world["url"])) as c:
        yield c


def as_(world: dict, label: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][label]}"}


def mns(client: TestClient, world: dict, label: str) -> set[str]:
    response = client.get("/api/v1/devices?limit=1000", headers=as_(world, label))
    assert response.status_code == 200, response.text
    return {d["mn"] for d in response.json()["results"]}


def test_devices_are_scoped_by_site_region_and_outlet_enterprise(client: TestClient, world: dict) -> None:
    station = device_mn("D1", 1)
    assert {station, OUTLET_MN} <= mns(client, world, "admin")
    assert {station, OUTLET_MN} <= mns(client, world, "reviewer")  # Beijing staff: both are in 110000
    assert mns(client, world, "tianjin") & {station, OUTLET_MN} == set()
    assert mns(client, world, "plant") == {OUTLET_MN}
    assert client.get("/api/v1/devices").status_code == 401
    assert client.get("/api/v1/devices", headers=as_(world, "public")).status_code == 403
    detail = client.get(f"/api/v1/devices/{station}", headers=as_(world, "reviewer")).json()
    assert (detail["mn"], detail["online"], detail["site_code"]) == (station, False, f"GW-{station}")
    assert set(detail) >= {"reports", "events", "commands", "gaps", "restarts", "last_seen"}
    assert client.get(f"/api/v1/devices/{station}", headers=as_(world, "tianjin")).status_code == 404
    assert client.get(f"/api/v1/devices/{station}", headers=as_(world, "plant")).status_code == 404


def test_only_operators_queue_commands_and_each_is_audited(client: TestClient, world: dict) -> None:
    station = device_mn("D1", 1)
    body = {"cn": "1062", "cp": {"RtdInterval": "30"}}
    assert client.post(f"/api/v1/devices/{station}/commands", json=body,
                       headers=as_(world, "reviewer")).status_code == 403
    refused = client.post(f"/api/v1/devices/{station}/commands", json={"cn": "9014", "cp": {}},
                          headers=as_(world, "admin"))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "command_refused"
    bad = client.post(f"/api/v1/devices/{station}/commands", json={"cn": "1062", "cp": {"RtdInterval": "3;0"}},
                      headers=as_(world, "admin"))
    assert bad.status_code == 422
    queued = client.post(f"/api/v1/devices/{station}/commands", json=body, headers=as_(world, "admin"))
    assert queued.status_code == 202, queued.text
    command_id = queued.json()["id"]
    got = client.get(f"/api/v1/devices/{station}/commands/{command_id}", headers=as_(world, "reviewer")).json()
    assert (got["cn"], got["cp"], got["state"], got["requested_by"]) == ("1062", {"RtdInterval": "30"}, "queued",
                                                                         "user:dev_api_admin")
    with psycopg.connect(world["url"]) as conn:
        assert conn.execute("SELECT actor, detail->>'command' FROM audit_event WHERE action = 'hj212.command' "
                            "AND target = %s", (station,)).fetchall() == [("dev_api_admin", str(command_id))]
