"""The registry write API behind the console forms: roles, region scope, CSRF, lifecycle rules, history, audit."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from tests.console.console_world import CHAOYANG

pytestmark = pytest.mark.engines

NEW_SITE = {"code": "CY-TEST-1", "name_zh": "朝阳测试站", "element": "air", "site_type": "urban",
            "control_level": "county", "region_code": CHAOYANG, "lon": 116.45, "lat": 39.95}


def _site_id(url: str, code: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id FROM site WHERE code = %s", (code,)).fetchone()[0]


def _audit(url: str, actor: str, action: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT target, detail FROM audit_event WHERE actor = %s AND action = %s ORDER BY id",
                            (actor, action)).fetchall()


def test_county_user_registers_only_inside_its_county(sessions, console_url: str) -> None:
    county = sessions["chaoyang"]
    outside = county.write("POST", "/api/v1/registry/site", json={**NEW_SITE, "code": "HD-1", "region_code": "110108"})
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "region_out_of_scope"
    created = county.write("POST", "/api/v1/registry/site", json=NEW_SITE)
    assert created.status_code == 201, created.text
    site_id = created.json()["id"]
    assert _audit(console_url, "chaoyang", "registry.site.create")[-1][0] == f"site:{site_id}"
    assert _audit(console_url, "chaoyang", "site.insert"), "the registry trigger names the console user"
    page = county.client.get(f"/console/registry/site/{site_id}").text
    assert "朝阳测试站" in page and "registered" in page


def test_writes_need_the_csrf_header(sessions) -> None:
    response = sessions["admin"].client.post("/api/v1/registry/site", json={**NEW_SITE, "code": "NO-CSRF"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"


def test_reviewer_may_not_write(sessions) -> None:
    response = sessions["viewer"].write("POST", "/api/v1/registry/site", json={**NEW_SITE, "code": "RV-1"})
    assert response.status_code == 403


def test_county_user_cannot_touch_other_districts(sessions, console_url: str) -> None:
    dongsi = _site_id(console_url, "Dongsi")
    county = sessions["chaoyang"]
    assert county.write("PATCH", f"/api/v1/registry/site/{dongsi}", json={"name_zh": "x"}).status_code == 404
    assert county.write("POST", f"/api/v1/registry/site/{dongsi}/state",
                        json={"state": "suspended", "valid_from": "2026-01-01", "reason": "test"}).status_code == 404
    assert county.client.get(f"/console/registry/site/{dongsi}").status_code == 404
    moved = county.write("PATCH", f"/api/v1/registry/site/{_site_id(console_url, 'Aotizhongxin')}",
                         json={"region_code": "110108"})
    assert moved.status_code == 403


def test_edit_and_lifecycle_with_dated_history(sessions, console_url: str) -> None:
    admin = sessions["admin"]
    site_id = admin.write("POST", "/api/v1/registry/site", json={**NEW_SITE, "code": "LIFE-1",
                                                                    "state": "building"}).json()["id"]
    edited = admin.write("PATCH", f"/api/v1/registry/site/{site_id}", json={"name_zh": "新名称", "lat": 39.9})
    assert edited.status_code == 200 and edited.json()["changed"] == ["lat", "name_zh"]
    bad_type = admin.write("PATCH", f"/api/v1/registry/site/{site_id}", json={"site_type": "river"})
    assert bad_type.status_code == 422 and bad_type.json()["error"]["code"] == "unknown_site_type"
    today = dt.date.today()
    steps = [(state, (today + dt.timedelta(days=days)).isoformat())
             for state, days in (("active", 10), ("suspended", 40), ("retired", 90))]
    for state, day in steps:
        changed = admin.write("POST", f"/api/v1/registry/site/{site_id}/state",
                              json={"state": state, "valid_from": day, "reason": f"to {state}"})
        assert changed.status_code == 200, changed.text
    back = admin.write("POST", f"/api/v1/registry/site/{site_id}/state",
                       json={"state": "active", "valid_from": "2026-07-01", "reason": "revive"})
    assert back.status_code == 409 and back.json()["error"]["code"] == "invalid_transition"
    history = admin.client.get(f"/api/v1/registry/site/{site_id}/history").json()["results"]
    assert [(h["state"], h["valid_from"]) for h in history] == [("building", today.isoformat()), *steps]
    assert _audit(console_url, "admin", "registry.site.state")[-1][1]["reason"] == "to retired"
    listed = admin.client.get("/console/registry/site", params={"state": "retired"}).text
    assert "LIFE-1" in listed and "Dongsi" not in listed


def test_duplicate_and_invalid_bodies_are_refused_clearly(sessions) -> None:
    admin = sessions["admin"]
    dup = admin.write("POST", "/api/v1/registry/site", json={**NEW_SITE, "code": "Dongsi"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate"
    extra = admin.write("POST", "/api/v1/registry/site", json={**NEW_SITE, "code": "X-1", "password_hash": "x"})
    assert extra.status_code == 422
    start_retired = admin.write("POST", "/api/v1/registry/site", json={**NEW_SITE, "code": "X-2", "state": "retired"})
    assert start_retired.status_code == 422 and start_retired.json()["error"]["code"] == "invalid_state"


def test_enterprise_outlet_device_chain(sessions, console_url: str) -> None:
    admin, county = sessions["admin"], sessions["chaoyang"]
    ent = county.write("POST", "/api/v1/registry/enterprise",
                       json={"uscc": "91110105MA00000001", "name_zh": "朝阳热电厂", "region_code": CHAOYANG})
    assert ent.status_code == 201, ent.text
    outlet = county.write("POST", "/api/v1/registry/outlet",
                          json={"enterprise_id": ent.json()["id"], "code": "DA001", "name_zh": "1号烟囱", "kind": "gas"})
    assert outlet.status_code == 201, outlet.text
    device = county.write("POST", "/api/v1/registry/device",
                          json={"mn": "88888880000001", "password": "123456", "outlet_id": outlet.json()["id"]})
    assert device.status_code == 201, device.text
    with psycopg.connect(console_url) as conn:
        stored = conn.execute("SELECT password_hash FROM device WHERE mn = '88888880000001'").fetchone()[0]
        assert stored.startswith("$argon2")
        leaked = conn.execute("SELECT count(*) FROM audit_event WHERE detail::text LIKE '%%argon2%%'").fetchone()[0]
        assert leaked == 0
    # A Haidian enterprise is invisible to the Chaoyang user, and so are its outlets.
    other = admin.write("POST", "/api/v1/registry/enterprise",
                        json={"uscc": "91110108MA00000002", "name_zh": "海淀某厂", "region_code": "110108"})
    foreign = county.write("POST", "/api/v1/registry/outlet",
                           json={"enterprise_id": other.json()["id"], "code": "DW001", "name_zh": "x", "kind": "water"})
    assert foreign.status_code == 404
    assert "海淀某厂" not in county.client.get("/console/registry/enterprise").text
    assert "海淀某厂" in admin.client.get("/console/registry/enterprise").text
    device_state = f"/api/v1/registry/device/{device.json()['id']}/state"
    retired = county.write("POST", device_state, json={"state": "retired", "valid_from": "2026-02-01",
                                                        "reason": "replaced"})
    assert retired.status_code == 200, retired.text
    final = county.write("POST", device_state, json={"state": "suspended", "valid_from": "2026-03-01",
                                                      "reason": "again"})
    assert final.status_code == 409  # retired is final
    page = county.client.get(f"/console/registry/device/{device.json()['id']}").text
    assert "replaced" in page and "88888880000001" in page


def test_markup_in_names_is_shown_as_text(sessions) -> None:
    admin = sessions["admin"]
    evil = "<script>alert(1)</script>"
    site_id = admin.write("POST", "/api/v1/registry/site",
                          json={**NEW_SITE, "code": "XSS-1", "name_zh": evil}).json()["id"]
    for path in ("/console", "/console/registry/site", f"/console/registry/site/{site_id}"):
        html = admin.client.get(path).text
        assert evil not in html and "alert(1)" in html, path
