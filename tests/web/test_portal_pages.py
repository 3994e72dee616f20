"""Public portal: real-time AQI (HJ 633-2012 实时报) per station at the latest stored hour, ranking, 24-h charts."""

from __future__ import annotations

import json
import re

import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient
from web_portal_data import portal_db, rows_of  # noqa: F401  (fixture)

from ecomon.standards import aqi

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def client(portal_db: str):  # noqa: F811
    from ecomon.web.app import create_app

    with TestClient(create_app(portal_db)) as test_client:
        yield test_client


def _row_html(page: str, station: str) -> str:
    match = re.search(rf'<tr data-station="{station}">(.*?)</tr>', page, re.DOTALL)
    assert match, f"no ranking row for {station}"
    return match.group(1)


def _expected_aqi(station: str) -> int:
    """AQI of 2016-02-29 23:00 computed straight from the CSV rows (independent of the SQL windows)."""
    rows = [r for r in rows_of(station) if r["day"] == "29"]
    assert [int(r["hour"]) for r in rows] == list(range(24))

    def values(column: str, hours: range) -> np.ndarray:
        return np.array([float(rows[h][column]) for h in hours if rows[h][column] != "NA"])

    last = range(23, 24)
    columns = {
        "SO2": values("SO2", last), "NO2": values("NO2", last), "CO": values("CO", last) / 1000,
        "O3": values("O3", last), "O3_8h": np.array([values("O3", range(16, 24)).mean()]),
        "PM10_24h": np.array([values("PM10", range(24)).mean()]),
        "PM2.5_24h": np.array([values("PM2.5", range(24)).mean()]),
        "SO2_24h": np.array([values("SO2", range(24)).mean()]),
    }
    return int(aqi.compute(columns, standard="HJ633-2012", period="hour").aqi[0])


def test_portal_shows_latest_stored_hour_as_data_time(client: TestClient) -> None:
    page = client.get("/").text
    assert '<strong data-testid="data-time">2016-02-29 23:00</strong>' in page
    assert "HJ633-2012" in page


@pytest.mark.parametrize("station", ["Dongsi", "Huairou"])
def test_station_aqi_matches_hj633_realtime_from_source_rows(client: TestClient, station: str) -> None:
    row = _row_html(client.get("/").text, station)
    shown = int(re.search(r'class="aqi-badge level-\d"[^>]*>(\d+)<', row).group(1))
    assert shown == _expected_aqi(station)


def test_ranking_orders_stations_by_aqi_best_first(client: TestClient) -> None:
    page = client.get("/").text
    shown = [int(v) for v in re.findall(r'class="aqi-badge level-\d"[^>]*>(\d+)<', page)]
    assert len(shown) == 12 and shown == sorted(shown)


def test_map_markers_carry_hj633_level_colours(client: TestClient) -> None:
    page = client.get("/").text
    payload = json.loads(re.search(r'<script type="application/json" id="aqi-markers">(.*?)</script>', page, re.DOTALL)
                         .group(1))
    colours = {level.number: level.hex for level in aqi.LEVELS}
    for marker in payload["markers"]:
        level = int(aqi.level_of(np.array([float(marker["aqi"])]))[0])
        assert marker["colour"] == colours[level], marker


def test_unreleased_values_are_labelled_preliminary(client: TestClient) -> None:
    page = client.get("/").text
    assert "预发布" in _row_html(page, "Dongsi")


def test_released_station_carries_no_preliminary_label(client: TestClient, portal_db: str) -> None:  # noqa: F811
    _update(portal_db, "UPDATE observation o SET review_state = 3 FROM series s JOIN site ON site.id = s.site_id "
                       "WHERE o.series_id = s.id AND site.code = 'Gucheng'")
    page = client.get("/").text
    assert "预发布" not in _row_html(page, "Gucheng")
    assert "预发布" in _row_html(page, "Dongsi")


def test_withheld_value_is_absent_from_station_chart(client: TestClient, portal_db: str) -> None:  # noqa: F811
    before = _chart(client.get("/station/Tiantan").text)
    assert before["series"]["O3"][-1] is not None
    _update(portal_db, "UPDATE observation o SET qc_flag = 4 FROM series s JOIN site ON site.id = s.site_id "
                       "WHERE o.series_id = s.id AND site.code = 'Tiantan' AND s.parameter_code = 'a05024' "
                       "AND o.t = '2016-02-29 15:00+00'")
    after = _chart(client.get("/station/Tiantan").text)
    assert after["series"]["O3"][-1] is None
    assert after["series"]["O3"][:-1] == before["series"]["O3"][:-1]
    assert len(after["hours"]) == 24 and after["hours"][-1] == "02-29 23:00"


def test_station_page_gives_level_health_advice(client: TestClient) -> None:
    page = client.get("/station/Dongsi").text
    level = aqi.level_info(int(aqi.level_of(np.array([float(_expected_aqi("Dongsi"))]))[0]), "HJ633-2012")
    assert level.advice_zh in page and level.effects_zh in page


def test_unknown_station_is_404(client: TestClient) -> None:
    response = client.get("/station/Nowhere")
    assert response.status_code == 404 and "未找到该站点" in response.text


def test_english_switch_is_remembered_in_a_cookie(client: TestClient) -> None:
    response = client.get("/?lang=en")
    assert "Real-time air quality" in response.text and response.cookies.get("ecomon_lang") == "en"
    assert "Real-time air quality" in client.get("/").text
    assert "实时空气质量" in client.get("/?lang=zh").text


def test_station_names_are_escaped_in_html_and_json(client: TestClient, portal_db: str) -> None:  # noqa: F811
    _update(portal_db, "UPDATE site SET name_zh = '<script>alert(1)</script>' WHERE code = 'Shunyi'")
    page = client.get("/?lang=zh").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    _update(portal_db, "UPDATE site SET name_zh = '顺义新城' WHERE code = 'Shunyi'")


def _chart(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.DOTALL)
                      .group(1))["chart"]


def _update(url: str, sql: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(sql)
