"""Enterprise scope: an enterprise user sees only its own outlets and their data; regional staff the outlets in
their region; the public only outlets of enterprises that disclose, released values only."""

from __future__ import annotations

import pytest
from ecomon_api_world import bearer


@pytest.fixture(scope="module")
def outlets(world) -> dict[str, int]:
    """The world's enterprise (Chaoyang) and a second one in Dongcheng, one flue-gas outlet each, SO2 hourly:
    two preliminary values and one released."""
    from ecomon.store.db import connect

    with connect(world.url) as conn:
        other = conn.execute(
            """INSERT INTO enterprise (uscc, name_zh, region_code, updated_by)
               VALUES ('91110101MA01WXYA0N', '东城锅炉房', '110101', 'test') RETURNING id""").fetchone()[0]
        ids = {}
        for label, enterprise in (("own", world.enterprise_id), ("other", other)):
            outlet = conn.execute(
                """INSERT INTO outlet (enterprise_id, code, name_zh, kind, limits, updated_by)
                   VALUES (%s, 'DA001', '1号排放口', 'gas', '{"a21026": 35}', 'test') RETURNING id""",
                (enterprise,)).fetchone()[0]
            series = conn.execute("INSERT INTO series (outlet_id, parameter_code, interval_kind) "
                                  "VALUES (%s, 'a21026', 'hour') RETURNING id", (outlet,)).fetchone()[0]
            conn.execute("SELECT ensure_observation_partitions('2013-03-01', '2013-03-01')")
            conn.execute(
                """INSERT INTO observation (series_id, t, value, qc_flag, review_state, channel, source_id)
                   VALUES (%s, '2013-03-01 01:00+00', 20, 1, 3, 'manual', 0),
                          (%s, '2013-03-01 02:00+00', 40, 1, 0, 'manual', 0),
                          (%s, '2013-03-01 03:00+00', 30, 4, 3, 'manual', 0)""", (series, series, series))
            ids[label] = outlet
        conn.commit()
    return ids


def _outlet_ids(client, headers) -> set[int]:
    return {o["id"] for o in client.get("/api/v1/outlets", params={"limit": 1000}, headers=headers).json()["results"]}


def test_enterprise_user_sees_only_its_own_outlets(client, world, outlets):
    headers = bearer(world, "enterprise")
    assert _outlet_ids(client, headers) == {outlets["own"]}
    own = client.get(f"/api/v1/outlets/{outlets['own']}/observations", params={"parameter": "SO2"}, headers=headers)
    assert [r["value"] for r in own.json()["results"]] == [20, 40, 30]  # its own preliminary data too
    other = client.get(f"/api/v1/outlets/{outlets['other']}/observations", params={"parameter": "SO2"},
                       headers=headers)
    assert other.status_code == 404 and other.json()["error"]["code"] == "unknown_outlet"


def test_county_staff_see_outlets_of_their_county_only(client, world, outlets):
    assert _outlet_ids(client, bearer(world, "dongcheng")) == {outlets["other"]}
    r = client.get(f"/api/v1/outlets/{outlets['own']}/observations", params={"parameter": "SO2"},
                   headers=bearer(world, "dongcheng"))
    assert r.status_code == 404
    assert {outlets["own"], outlets["other"]} <= _outlet_ids(client, bearer(world, "beijing_centre"))


def test_public_sees_disclosing_enterprises_released_valid_values_only(client, world, wdb, outlets):
    assert _outlet_ids(client, {}) == set()
    wdb.execute("INSERT INTO disclosure_setting (enterprise_id, updated_by) VALUES (%s, 'test')",
                (world.enterprise_id,))
    wdb.commit()
    assert _outlet_ids(client, {}) == {outlets["own"]}
    values = client.get(f"/api/v1/outlets/{outlets['own']}/observations", params={"parameter": "SO2"}).json()
    assert [r["value"] for r in values["results"]] == [20]  # preliminary and QC-failed values are absent
    assert client.get(f"/api/v1/outlets/{outlets['other']}/observations",
                      params={"parameter": "SO2"}).status_code == 404


def test_disclosure_is_switched_by_admins_and_centres_of_the_region_and_audited(client, world, wdb, outlets):
    other = wdb.execute("SELECT enterprise_id FROM outlet WHERE id = %s", (outlets["other"],)).fetchone()[0]
    body = {"disclosed": True, "note": "重点排污单位名录 2024"}
    for label, status in (("dongcheng", 403), ("enterprise", 403), ("public_user", 403)):
        assert client.put(f"/api/v1/opendata/disclosure/{other}", json=body,
                          headers=bearer(world, label)).status_code == status
    assert client.put(f"/api/v1/opendata/disclosure/{other}", json=body).status_code == 401
    r = client.put(f"/api/v1/opendata/disclosure/{other}", json=body, headers=bearer(world, "beijing_centre"))
    assert r.status_code == 200 and r.json()["updated_by"] == "t_beijing_centre"
    assert outlets["other"] in _outlet_ids(client, {})
    off = client.put(f"/api/v1/opendata/disclosure/{other}", json={"disclosed": False},
                     headers=bearer(world, "admin"))
    assert off.status_code == 200 and outlets["other"] not in _outlet_ids(client, {})
    assert wdb.execute("SELECT count(*) FROM audit_event WHERE action = 'disclosure.set' AND target = %s",
                       (f"enterprise:{other}",)).fetchone()[0] == 2
    assert client.put("/api/v1/opendata/disclosure/999999", json=body,
                      headers=bearer(world, "admin")).status_code == 404
