"""IDOR: a Dongcheng (110101) county user must not reach a Chaoyang (110105) site, by id or code, through any
route; enterprise users see no ambient sites; the public sees released data of active sites only."""

from __future__ import annotations

import pytest
from ecomon_api_world import CHAOYANG_SITE, DONGCHENG_SITE, bearer

SITE_ROUTES = ["/api/v1/sites/{s}", "/api/v1/sites/{s}/latest", "/api/v1/sites/{s}/observations?parameter=a34004",
               "/api/v1/sites/{s}/aggregates"]


@pytest.mark.parametrize("route", SITE_ROUTES)
@pytest.mark.parametrize("by", ["code", "id"])
def test_dongcheng_user_cannot_reach_chaoyang_site(client, world, route, by):
    ident = CHAOYANG_SITE if by == "code" else str(world.site_ids[CHAOYANG_SITE])
    r = client.get(route.format(s=ident), headers=bearer(world, "dongcheng"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_site"
    own = client.get(route.format(s=DONGCHENG_SITE), headers=bearer(world, "dongcheng"))
    assert own.status_code == 200


@pytest.mark.parametrize("label", ["dongcheng", "reviewer_dongcheng"])
def test_lists_of_a_county_user_stay_inside_the_county(client, world, label):
    sites = client.get("/api/v1/sites", params={"limit": 1000}, headers=bearer(world, label)).json()["results"]
    assert {s["region_code"] for s in sites} == {"110101"}
    # Asking for another region explicitly narrows further; it never widens the scope.
    assert client.get("/api/v1/sites", params={"region": "110105"},
                      headers=bearer(world, label)).json()["results"] == []
    latest = client.get("/api/v1/latest", params={"limit": 1000}, headers=bearer(world, label)).json()["results"]
    assert latest and {row["site_code"] for row in latest} == {DONGCHENG_SITE}


def test_city_centre_sees_every_district(client, world):
    sites = client.get("/api/v1/sites", params={"limit": 1000}, headers=bearer(world, "beijing_centre")).json()
    assert sites["meta"]["found"] == 12


def test_enterprise_user_sees_no_ambient_sites(client, world):
    assert client.get("/api/v1/sites", headers=bearer(world, "enterprise")).json()["results"] == []
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/latest", headers=bearer(world, "enterprise"))
    assert r.status_code == 404
    assert client.get("/api/v1/latest", headers=bearer(world, "enterprise")).json()["results"] == []


@pytest.mark.parametrize("headers", [{}, "public_user"])
def test_public_sees_only_released_observations(client, world, headers):
    h = bearer(world, headers) if headers else {}
    released = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/observations", params={"parameter": "a34004"}, headers=h)
    assert released.json()["meta"]["found"] == 72
    preliminary = client.get(f"/api/v1/sites/{CHAOYANG_SITE}/observations", params={"parameter": "a34004"},
                             headers=h)
    assert preliminary.status_code == 200 and preliminary.json()["results"] == []
    latest = client.get("/api/v1/latest", params={"limit": 1000}, headers=h).json()["results"]
    assert {row["review_state"] for row in latest} == {3}


def test_public_does_not_see_inactive_sites(client, world, wdb):
    wdb.execute("UPDATE site SET state = 'suspended' WHERE code = 'Guanyuan'")
    wdb.commit()
    try:
        assert client.get("/api/v1/sites/Guanyuan").status_code == 404
        assert client.get("/api/v1/sites/Guanyuan", headers=bearer(world, "admin")).status_code == 200
    finally:
        wdb.execute("UPDATE site SET state = 'active' WHERE code = 'Guanyuan'")
        wdb.commit()


def test_aggregates_and_ingest_logs_are_not_public(client, world):
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/aggregates")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert client.get(f"/api/v1/sites/{DONGCHENG_SITE}/aggregates",
                      headers=bearer(world, "public_user")).status_code == 403
    assert client.get("/api/v1/ingest/logs").status_code == 401
    assert client.get("/api/v1/ingest/logs", headers=bearer(world, "dongcheng")).status_code == 403


def test_regional_reviewer_sees_only_imports_touching_their_sites(client, world, wdb):
    logs = client.get("/api/v1/ingest/logs", headers=bearer(world, "reviewer_dongcheng")).json()["results"]
    assert any(entry["file_name"] == "beijing-slice.csv" for entry in logs)
    raw = wdb.execute("""INSERT INTO raw_input (sha256, name, channel, size_bytes, stored_path, received_by)
                        VALUES (repeat('e', 64), 'elsewhere.csv', 'file', 1, 'x', 'test')
                        ON CONFLICT (sha256) DO UPDATE SET name = excluded.name RETURNING id""").fetchone()[0]
    other = wdb.execute("""INSERT INTO ingest_log (raw_input_id, mapping, status, by_user)
                          VALUES (%s, '{}', 'done', 'test') RETURNING id""", (raw,)).fetchone()[0]
    wdb.commit()
    r = client.get(f"/api/v1/ingest/logs/{other}", headers=bearer(world, "reviewer_dongcheng"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ingest"
    assert client.get(f"/api/v1/ingest/logs/{other}/rejects",
                      headers=bearer(world, "reviewer_dongcheng")).status_code == 404
    assert client.get(f"/api/v1/ingest/logs/{other}", headers=bearer(world, "admin")).status_code == 200
