"""The query API as a specification: resources, filters, paging, formats and machine-readable errors."""

from __future__ import annotations

import csv
import io

from ecomon_api_world import CHAOYANG_SITE, DONGCHENG_SITE, bearer


def test_sites_list_filters_by_region_and_element(client, world):
    r = client.get("/api/v1/sites", params={"region": "110105", "element": "air"}, headers=bearer(world, "admin"))
    assert r.status_code == 200
    codes = {s["code"] for s in r.json()["results"]}
    assert codes == {"Aotizhongxin", "Nongzhanguan"}
    assert r.json()["meta"]["found"] == 2


def test_sites_geojson_points_are_lon_lat(client, world):
    r = client.get("/api/v1/sites", params={"format": "geojson", "region": "110101"})
    body = r.json()
    assert body["type"] == "FeatureCollection"
    dongsi = next(f for f in body["features"] if f["properties"]["code"] == DONGCHENG_SITE)
    assert dongsi["geometry"]["type"] == "Point" and 116 < dongsi["geometry"]["coordinates"][0] < 117


def test_sites_bbox_and_radius(client, world):
    r = client.get("/api/v1/sites", params={"coordinates": "39.929,116.417", "radius": 3000})
    assert DONGCHENG_SITE in {s["code"] for s in r.json()["results"]}
    assert CHAOYANG_SITE not in {s["code"] for s in r.json()["results"]}
    r = client.get("/api/v1/sites", params={"bbox": "116.0,40.1,116.5,40.5"})
    assert {s["code"] for s in r.json()["results"]} >= {"Changping", "Dingling"}


def test_sites_paging(client, world):
    first = client.get("/api/v1/sites", params={"limit": 5, "page": 1}).json()
    third = client.get("/api/v1/sites", params={"limit": 5, "page": 3}).json()
    assert first["meta"]["found"] == 12 and len(first["results"]) == 5 and len(third["results"]) == 2


def test_site_by_id_and_code_agree(client, world):
    by_code = client.get(f"/api/v1/sites/{DONGCHENG_SITE}").json()
    by_id = client.get(f"/api/v1/sites/{by_code['id']}").json()
    assert by_code == by_id and by_code["region_code"] == "110101"


def test_parameter_by_alias_and_unknown_parameter_404(client):
    r = client.get("/api/v1/parameters/PM2.5")
    assert r.status_code == 200 and r.json()["code"] == "a34004"
    r = client.get("/api/v1/parameters/zz999")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_parameter"


def test_parameters_list_filters_by_element(client):
    rows = client.get("/api/v1/parameters", params={"element": "air", "limit": 1000}).json()["results"]
    assert rows and all(p["element"] == "air" for p in rows)


def test_hourly_series_staff_sees_preliminary_labelled(client, world):
    r = client.get(f"/api/v1/sites/{CHAOYANG_SITE}/observations",
                   params={"parameter": "a34004", "interval": "hour", "limit": 24}, headers=bearer(world, "admin"))
    body = r.json()
    assert r.status_code == 200 and body["meta"]["found"] == 72 and len(body["results"]) == 24
    assert body["meta"]["unit"] == "µg/m³"
    # First row of the Beijing file: 2013-03-01 00:00 CST, PM2.5 = 4.
    assert body["results"][0]["t"].startswith("2013-02-28T16:00") and body["results"][0]["value"] == 4
    assert {row["review_label"] for row in body["results"]} == {"preliminary"}


def test_series_time_range_is_half_open_local_time(client, world):
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/observations",
                   params={"parameter": "a34004", "from": "2013-03-01T00:00", "to": "2013-03-01T06:00"})
    assert r.status_code == 200 and r.json()["meta"]["found"] == 6


def test_series_from_after_to_is_invalid_time_range(client, world):
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/observations",
                   params={"parameter": "a34004", "from": "2013-03-02T00:00", "to": "2013-03-01T00:00"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_time_range"


def test_series_unknown_parameter_is_404(client, world):
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/observations", params={"parameter": "nonsense"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_parameter"


def test_series_csv_download(client, world):
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/observations",
                   params={"parameter": "a34004", "format": "csv", "limit": 10})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 10 and rows[0]["review_label"] == "released"


def test_latest_values_per_site(client, world):
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/latest", params={"parameter": "PM2.5"})
    rows = r.json()["results"]
    assert len(rows) == 1 and rows[0]["parameter_code"] == "a34004" and rows[0]["review_state"] == 3
    everything = client.get("/api/v1/latest", params={"limit": 1000}, headers=bearer(world, "admin")).json()
    assert {row["site_code"] for row in everything["results"]} == {CHAOYANG_SITE, DONGCHENG_SITE}


def test_aggregates_carry_validity(client, world):
    r = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/aggregates", params={"parameter": "a34004", "kind": "day"},
                   headers=bearer(world, "admin"))
    rows = r.json()["results"]
    assert rows and {"n", "expected", "valid", "rule_set"} <= rows[0].keys()
    assert any(row["valid"] and row["n"] >= 20 for row in rows)


def test_ingest_logs_and_rejects_csv(client, world):
    logs = client.get("/api/v1/ingest/logs", headers=bearer(world, "admin")).json()["results"]
    log = next(entry for entry in logs if entry["file_name"] == "beijing-slice.csv")
    assert log["status"] == "done" and log["rows_total"] == 144
    r = client.get(f"/api/v1/ingest/logs/{log['id']}/rejects", params={"format": "csv", "limit": 1000},
                   headers=bearer(world, "admin"))
    assert r.status_code == 200 and r.text.splitlines()[0] == "row_no,column_name,value,reason"
    assert len(r.text.splitlines()) - 1 == min(1000, client.get(
        f"/api/v1/ingest/logs/{log['id']}/rejects", headers=bearer(world, "admin")).json()["meta"]["found"])


def test_openapi_documents_every_versioned_route(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/sites", "/api/v1/latest", "/api/v1/sites/{site}/observations", "/api/v1/sites/{site}/aggregates",
            "/api/v1/ingest/logs/{ingest_id}/rejects", "/api/v1/auth/login"} <= paths.keys()
