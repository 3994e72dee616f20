"""The evaluation API and report downloads, scoped by region and role like every data route."""

from __future__ import annotations

import io

import polars as pl


def test_current_aqi_per_station_district_and_city(api):
    client, auth = api
    stations = client.get("/api/v1/aqi/current", headers=auth["admin"]).json()
    assert stations["meta"]["found"] == 12
    assert {r["t"][:10] for r in stations["results"]} == {"2014-03-31"}
    assert all(r["rule_set"] == "HJ633-2012" for r in stations["results"])
    city = client.get("/api/v1/aqi/current", params={"level": "city"}, headers=auth["admin"]).json()["results"]
    assert [(r["region_code"], r["name_zh"], r["stations"]) for r in city] == [("110100", "北京市", 12)]
    districts = client.get("/api/v1/aqi/current", params={"level": "district"}, headers=auth["admin"]).json()
    assert districts["meta"]["found"] == 8


def test_region_scope_limits_stations_regions_and_rankings(api):
    client, auth = api
    mine = client.get("/api/v1/aqi/current", headers=auth["chaoyang"]).json()["results"]
    assert {r["site_code"] for r in mine} == {"Aotizhongxin", "Nongzhanguan"}       # the two 朝阳区 stations
    assert client.get("/api/v1/aqi/current", params={"level": "city"}, headers=auth["chaoyang"]).json()[
        "results"] == []                                                            # the city is above 朝阳区
    ranking = client.get("/api/v1/rankings", params={"start": "2014-03", "level": "station"},
                         headers=auth["chaoyang"]).json()["results"]
    assert len(ranking) == 2
    outside = client.get("/api/v1/aqi/daily", params={"site": "Dongsi", "from": "2014-03-01", "to": "2014-03-31"},
                         headers=auth["chaoyang"])
    assert outside.status_code == 404


def test_public_sees_only_results_from_released_data(api, db):
    client, auth = api
    assert client.get("/api/v1/aqi/current", headers=auth["public_user"]).json()["results"] == []
    assert client.get("/api/v1/aqi/current").json()["results"] == []               # anonymous
    db.execute("UPDATE aqi_result SET review_state = 3 WHERE site_id = (SELECT id FROM site WHERE code = 'Dongsi')")
    db.commit()
    try:
        visible = client.get("/api/v1/aqi/current").json()["results"]
        assert [r["site_code"] for r in visible] == ["Dongsi"]
        assert client.get("/api/v1/rankings", params={"start": "2014-03"}).json()["results"] == []
    finally:
        db.execute("UPDATE aqi_result SET review_state = 0 WHERE site_id = (SELECT id FROM site WHERE code = 'Dongsi')")
        db.commit()


def test_daily_series_and_rankings(api):
    client, auth = api
    series = client.get("/api/v1/aqi/daily", params={"region": "110100", "from": "2014-03-01", "to": "2014-03-31"},
                        headers=auth["admin"]).json()
    assert series["meta"]["found"] == 31
    assert client.get("/api/v1/aqi/daily", params={"from": "2014-03-01", "to": "2014-03-31"},
                      headers=auth["admin"]).status_code == 422
    ranking = client.get("/api/v1/rankings", params={"start": "2014-03", "level": "district"},
                         headers=auth["admin"]).json()["results"]
    assert [r["rank"] for r in ranking] == sorted(r["rank"] for r in ranking) and ranking[0]["rank"] == 1
    assert client.get("/api/v1/rankings", params={"start": "2014", "period": "month"},
                      headers=auth["admin"]).status_code == 422
    by_aqi = client.get("/api/v1/rankings/aqi", params={"date": "2014-03-05"}, headers=auth["admin"]).json()
    assert by_aqi["meta"]["found"] == 12 and by_aqi["results"][0]["aqi"] <= by_aqi["results"][-1]["aqi"]


def test_report_downloads(api):
    client, auth = api
    kinds = {r["kind"] for r in client.get("/api/v1/reports").json()["results"]}
    assert kinds == {"daily", "monthly-air", "water", "noise", "radiation", "soil", "ecology", "source"}
    xlsx = client.get("/api/v1/reports/monthly-air", params={"month": "2014-03", "format": "xlsx"},
                      headers=auth["admin"])
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    first = pl.read_excel(io.BytesIO(xlsx.content), engine="calamine", has_header=False, infer_schema_length=0)
    assert first.row(0)[0] == "环境空气质量月报"
    html = client.get("/api/v1/reports/daily", params={"date": "2014-03-05"}, headers=auth["chaoyang"])
    assert html.status_code == 200 and "奥体中心" in html.text and "东四" not in html.text     # scoped
    assert client.get("/api/v1/reports/weekly", headers=auth["admin"]).status_code == 404
    assert client.get("/api/v1/reports/daily", params={"date": "2014-02-30"}, headers=auth["admin"]).status_code == 422


def test_water_and_exceedance_routes_answer_empty_without_data(api):
    client, auth = api
    assert client.get("/api/v1/water/sections", params={"month": "2014-03"}, headers=auth["admin"]).json()[
        "results"] == []
    assert client.get("/api/v1/sources/exceedances", params={"from": "2014-03-01", "to": "2014-03-31"},
                      headers=auth["admin"]).json()["results"] == []


def test_dates_outside_the_supported_years_are_refused(api):
    client, auth = api
    for path, params in (("/api/v1/aqi/daily", {"region": "110100", "from": "9999-12-31", "to": "9999-12-31"}),
                         ("/api/v1/sources/exceedances", {"from": "9999-12-30", "to": "9999-12-31"}),
                         ("/api/v1/water/sections", {"month": "9999-12"}),
                         ("/api/v1/rankings", {"start": "0000", "period": "year"}),
                         ("/api/v1/reports/source", {"from": "9999-12-30", "to": "9999-12-31"})):
        assert client.get(path, params=params, headers=auth["admin"]).status_code == 422, path


def test_reports_in_english(api):
    client, auth = api
    html = client.get("/api/v1/reports/daily", params={"date": "2014-03-05", "lang": "en"}, headers=auth["admin"])
    assert html.status_code == 200 and "Daily ambient air quality report" in html.text and "AQI per HJ 633-2012" in html.text
