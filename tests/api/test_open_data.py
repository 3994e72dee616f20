"""Open data: key sign-up (shown once, hashed, public scope, revocable, rate-limited), per-key rate limits,
streamed bulk CSV of released data only, and the multi-site observations filter."""

from __future__ import annotations

import csv
import hashlib
import io

from ecomon_api_world import CHAOYANG_SITE, DONGCHENG_SITE, bearer


def _sign_up(client, email: str):
    return client.post("/api/v1/opendata/keys", json={"email": email, "purpose": "air-quality research"})


def test_a_key_is_shown_once_stored_hashed_public_and_revocable(client, wdb):
    r = _sign_up(client, "researcher@example.org")
    assert r.status_code == 201, r.text
    issued = r.json()
    token = issued["token"]
    row = wdb.execute("""SELECT t.token_hash, t.scopes, u.role, t.expires_at - t.created_at > interval '360 days'
                         FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE t.id = %s""",
                      (issued["token_id"],)).fetchone()
    assert row == (hashlib.sha256(token.encode()).hexdigest(), ["read"], "public", True)
    assert wdb.execute("SELECT count(*) FROM api_token WHERE token_hash = %s", (token,)).fetchone()[0] == 0
    key = {"Authorization": f"Bearer {token}"}
    latest = client.get("/api/v1/latest", params={"limit": 1000}, headers=key).json()["results"]
    assert latest and {x["site_code"] for x in latest} == {DONGCHENG_SITE}  # released data only
    assert client.post("/api/v1/opendata/keys/revoke", json={"token": token}).status_code == 204
    assert client.post("/api/v1/opendata/keys/revoke", json={"token": token}).status_code == 404
    refused = client.get("/api/v1/latest", headers=key)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"


def test_sign_up_refuses_bad_input_and_bulk_requests(client):
    assert _sign_up(client, "not-an-address").status_code == 422
    codes = [_sign_up(client, f"bulk{i}@example.org").status_code for i in range(7)]
    # The test client always comes from one address: five keys per hour, then 429.
    assert codes.count(201) <= 5 and codes[-1] == 429


def test_a_key_over_its_limit_gets_429_with_retry_after(client, world, wdb):
    key = client.post("/api/v1/auth/tokens", json={"name": "limited", "scopes": ["read"], "days": 1},
                      headers=bearer(world, "public_user")).json()
    wdb.execute("UPDATE api_token SET rate_per_minute = 3 WHERE id = %s", (key["id"],))
    wdb.commit()
    headers = {"Authorization": f"Bearer {key['token']}"}
    responses = [client.get("/api/v1/parameters", headers=headers) for _ in range(4)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    assert responses[0].headers["x-ratelimit-limit"] == "3"
    assert responses[2].headers["x-ratelimit-remaining"] == "0"
    last = responses[3]
    assert last.status_code == 429 and last.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(last.headers["retry-after"]) <= 60
    # Another key is counted on its own.
    assert client.get("/api/v1/parameters", headers=bearer(world, "public_user")).status_code == 200


def test_catalogue_names_licence_and_attribution(client):
    datasets = {d["id"]: d for d in client.get("/api/v1/opendata/datasets").json()}
    assert datasets["air-hourly"]["licence"] == "CC BY 4.0"
    assert "Beijing Multi-Site Air-Quality" in datasets["air-hourly"]["attribution"]
    assert datasets["air-hourly"]["download"] == "/api/v1/opendata/datasets/air-hourly.csv"


def test_bulk_csv_has_released_data_only(client, wdb):
    r = client.get("/api/v1/opendata/datasets/air-hourly.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["site_code"] for row in rows} == {DONGCHENG_SITE}  # Aotizhongxin is preliminary
    released = wdb.execute(
        """SELECT count(*) FROM observation o JOIN series se ON se.id = o.series_id JOIN site s ON s.id = se.site_id
           WHERE s.code = %s AND se.interval_kind = 'hour' AND o.review_state = 3 AND o.value IS NOT NULL
             AND o.qc_flag NOT IN (4, 9)""", (DONGCHENG_SITE,)).fetchone()[0]
    assert len(rows) == released > 500
    day = client.get("/api/v1/opendata/datasets/air-hourly.csv",
                     params={"from": "2013-03-02", "to": "2013-03-02", "site": DONGCHENG_SITE})
    times = {row["t"] for row in csv.DictReader(io.StringIO(day.content.decode("utf-8-sig")))}
    assert len(times) == 24 and min(times) == "2013-03-01T16:00:00+00:00"  # 00:00 China Standard Time


def test_withheld_values_are_absent_from_downloads_and_the_api(client, wdb):
    wdb.execute("""UPDATE observation SET qc_flag = 4 WHERE t = '2013-03-01T10:00:00+00:00' AND series_id IN
                   (SELECT se.id FROM series se JOIN site s ON s.id = se.site_id WHERE s.code = %s)""",
                (DONGCHENG_SITE,))
    wdb.commit()
    try:
        body = client.get("/api/v1/opendata/datasets/air-hourly.csv", params={"site": DONGCHENG_SITE}).text
        assert "2013-03-01T10:00:00+00:00" not in body
        series = client.get(f"/api/v1/sites/{DONGCHENG_SITE}/observations",
                            params={"parameter": "a34004", "limit": 1000}).json()["results"]
        assert "2013-03-01T10:00:00Z" not in {x["t"] for x in series} and len(series) == 71
    finally:
        wdb.execute("""UPDATE observation SET qc_flag = 2 WHERE t = '2013-03-01T10:00:00+00:00' AND series_id IN
                       (SELECT se.id FROM series se JOIN site s ON s.id = se.site_id WHERE s.code = %s)""",
                    (DONGCHENG_SITE,))
        wdb.commit()


def test_multi_site_observations_filter_by_radius_region_and_time(client, world):
    params = {"parameter": "PM2.5", "from": "2013-03-01T00:00:00", "to": "2013-03-01T06:00:00", "limit": 1000}
    staff = bearer(world, "beijing_centre")
    both = client.get("/api/v1/observations", params=params, headers=staff).json()
    assert {r["site_code"] for r in both["results"]} == {DONGCHENG_SITE, CHAOYANG_SITE}
    assert both["meta"]["found"] == 12
    dongsi = client.get("/api/v1/sites/Dongsi", headers=staff).json()
    near = client.get("/api/v1/observations", params={**params, "coordinates": f"{dongsi['lat']},{dongsi['lon']}",
                                                      "radius": 1000}, headers=staff).json()
    assert {r["site_code"] for r in near["results"]} == {DONGCHENG_SITE}
    region = client.get("/api/v1/observations", params={**params, "region": "110105"}, headers=staff).json()
    assert {r["site_code"] for r in region["results"]} == {CHAOYANG_SITE}
    csv_body = client.get("/api/v1/observations", params={**params, "format": "csv"}, headers=staff).text
    assert csv_body.splitlines()[0] == "site_code,t,value,data_flag,qc_flag,review_state,review_label"
    public = client.get("/api/v1/observations", params=params).json()
    assert {r["site_code"] for r in public["results"]} == {DONGCHENG_SITE}
