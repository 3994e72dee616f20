"""Every console page over HTTP: login redirect, status, language, and region scope (a county user sees only its
county's sites on every page)."""

from __future__ import annotations

import re

import pytest

from tests.console.console_world import CHAOYANG, CHAOYANG_SITES

pytestmark = pytest.mark.engines

ALL_SITES = {"Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng", "Huairou", "Nongzhanguan",
             "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong"}
PAGES = ("/console", "/console/ranking", "/console/registry/site", "/console/registry/enterprise",
         "/console/registry/outlet", "/console/registry/device", "/console/coverage",
         "/console/coverage?plan=chongqing", "/console/data/series", "/console/data/series?site=Dongsi",
         "/console/data/series?site=Dongsi&interval=day", "/console/data/ingest", "/console/data/import",
         "/console/review", "/console/alarms", "/console/alarms?status=confirmed", "/console/reports", "/console/users",
         "/console/sites/Dongsi")


def _sites_in(html: str) -> set[str]:
    return set(re.findall(r'data-site="([^"]+)"', html)) & ALL_SITES


def test_pages_need_a_login(app_client) -> None:
    app_client.cookies.clear()
    for path in PAGES:
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/console/login?next=%2Fconsole"), path


def test_login_page_in_chinese_and_english(app_client) -> None:
    page = app_client.get("/console/login")
    assert page.status_code == 200 and "工作人员登录" in page.text and 'lang="zh-CN"' in page.text
    english = app_client.get("/console/login?lang=en")
    assert "Staff login" in english.text and 'lang="en"' in english.text
    assert app_client.cookies.get("ecomon_lang") == "en"
    app_client.cookies.delete("ecomon_lang")


def test_login_page_never_redirects_outside_the_console(app_client) -> None:
    page = app_client.get("/console/login", params={"next": "https://evil.example/x"})
    assert 'data-next="/console"' in page.text
    page = app_client.get("/console/login", params={"next": "//evil.example"})
    assert 'data-next="/console"' in page.text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_the_administrator(sessions, path: str) -> None:
    response = sessions["admin"].client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    assert "<html" in response.text and "admin" in response.text


@pytest.mark.parametrize("path", [p for p in PAGES if p not in ("/console/users", "/console/sites/Dongsi")])
def test_every_page_renders_for_a_county_user(sessions, path: str) -> None:
    response = sessions["chaoyang"].client.get(path)
    assert response.status_code == 200, (path, response.text[:500])


def test_overview_shows_every_site_to_the_national_user(sessions) -> None:
    html = sessions["admin"].client.get("/console").text
    assert _sites_in(html) == ALL_SITES
    markers = re.search(r'<script type="application/json" id="console-markers">(.*?)</script>', html, re.DOTALL)
    assert markers and all(f'"code": "{code}"' in markers.group(1) for code in ALL_SITES)
    assert "#" in markers.group(1) and "AQI" in markers.group(1)


def test_county_user_sees_only_its_county(sessions) -> None:
    client = sessions["chaoyang"].client
    for path in ("/console", "/console/ranking", "/console/registry/site", "/console/data/series",
                 "/console/review"):
        html = client.get(path).text
        assert _sites_in(html) <= CHAOYANG_SITES, path
        assert not any(f">{code}<" in html or f'"{code}"' in html for code in ALL_SITES - CHAOYANG_SITES), path
    assert _sites_in(client.get("/console").text) == CHAOYANG_SITES
    assert client.get("/console/sites/Dongsi").status_code == 404
    assert client.get("/console/sites/Aotizhongxin").status_code == 200
    series = client.get("/console/data/series", params={"site": "Dongsi"}).text
    assert 'data-testid="series-table"' not in series and "outside your access scope" in series


def test_district_filter(sessions) -> None:
    html = sessions["admin"].client.get("/console", params={"district": CHAOYANG}).text
    assert _sites_in(html) == CHAOYANG_SITES
    bad = sessions["admin"].client.get("/console", params={"district": "x' OR 1=1"})
    assert bad.status_code == 422


def test_ranking_orders_by_aqi(sessions) -> None:
    html = sessions["admin"].client.get("/console/ranking").text
    values = [int(v) for v in re.findall(r"AQI (\d+)", html)]
    assert len(values) == 12 and values == sorted(values)


def test_site_page_lists_latest_values_and_history_hooks(sessions) -> None:
    html = sessions["admin"].client.get("/console/sites/Dongsi").text
    assert 'data-key="a34004/hour"' in html and 'data-live="/console/sites/Dongsi/live"' in html
    assert 'id="chart-form"' in html and 'data-site="Dongsi"' in html


def test_live_stream_refuses_sites_outside_scope(sessions) -> None:
    assert sessions["chaoyang"].client.get("/console/sites/Dongsi/live").status_code == 404


def test_series_page_shows_values_with_qc_flags(sessions) -> None:
    html = sessions["admin"].client.get("/console/data/series", params={
        "site": "Dongsi", "parameter": "PM2.5", "from": "2016-02-29", "to": "2016-03-01"}).text
    rows = re.findall(r'<tr class="qc-(\d)">', html)
    assert len(rows) == 24, len(rows)
    assert 'id="series-rows"' in html


def test_ingest_log_lists_the_seed_import(sessions) -> None:
    html = sessions["admin"].client.get("/console/data/ingest").text
    assert "last-days.csv" in html


def test_reviewer_cannot_open_the_import_page_or_edit_the_registry(sessions) -> None:
    client = sessions["viewer"].client
    assert client.get("/console/data/import").status_code == 403
    registry = client.get("/console/registry/site").text
    assert 'data-testid="add-form"' not in registry


def test_language_switch_keeps_english(sessions) -> None:
    client = sessions["viewer"].client
    assert "Monitoring sites overview" in client.get("/console?lang=en").text
    assert "Monitoring sites overview" in client.get("/console").text
    assert "监测点位总览" in client.get("/console?lang=zh").text


def test_administrator_creates_a_county_user_who_then_sees_only_that_county(sessions, console_url: str) -> None:
    """The issue's walk-through: the admin creates a county user in the console; that user sees only its county."""
    from fastapi.testclient import TestClient

    from ecomon.web.app import create_app

    admin = sessions["admin"]
    page = admin.client.get("/console/users").text
    assert 'data-testid="user-form"' in page and "chaoyang" in page
    created = admin.write("POST", "/api/v1/auth/users", json={
        "username": "dongcheng", "password": "dongcheng-password-1", "role": "centre", "region_code": "110101"})
    assert created.status_code == 201, created.text
    assert "dongcheng" in admin.client.get("/console/users").text
    assert sessions["chaoyang"].client.get("/console/users").status_code == 403
    with TestClient(create_app(console_url)) as client:
        client.cookies.clear()
        assert client.post("/api/v1/auth/login", json={"username": "dongcheng",
                                                       "password": "dongcheng-password-1"}).status_code == 200
        assert _sites_in(client.get("/console").text) == {"Dongsi", "Tiantan"}


def test_review_page_shows_what_the_review_form_did(sessions) -> None:
    """The review form posts to the quality API (datetime-local values, no offset = China Standard Time)."""
    reviewer = sessions["viewer"]
    done = reviewer.write("POST", "/api/v1/review/accept", json={
        "site": "Aotizhongxin", "parameter": "a34004", "from": "2016-02-29T00:00", "to": "2016-02-29T12:00",
        "level": 1})
    assert done.status_code == 200, done.text
    assert done.json()["changed"] == 12
    html = reviewer.client.get("/console/review", params={"site": "Aotizhongxin"}).text
    assert "viewer" in html and "a34004" in html
    other = reviewer.write("POST", "/api/v1/review/accept", json={
        "site": "Dongsi", "parameter": "a34004", "from": "2016-02-29T00:00", "to": "2016-02-29T12:00", "level": 1})
    assert other.status_code == 200, other.text
    county = sessions["chaoyang"].client.get("/console/review").text
    assert "Aotizhongxin" in county and "Dongsi" not in county


def test_a_non_staff_account_is_told_instead_of_looping(console_url: str) -> None:
    import asyncio

    import psycopg
    from fastapi.testclient import TestClient

    from ecomon.web.app import create_app
    from ecomon.web.auth import accounts

    async def make() -> None:
        async with await psycopg.AsyncConnection.connect(console_url) as conn:
            await accounts.create_user(conn, accounts.NewUser("reader", "public"), "public-password-12", "test")
            await conn.commit()

    asyncio.run(make())
    with TestClient(create_app(console_url)) as client:
        assert client.post("/api/v1/auth/login", json={"username": "reader",
                                                       "password": "public-password-12"}).status_code == 200
        page = client.get("/console", follow_redirects=True)
        assert page.url.path == "/console/login" and 'data-testid="not-staff"' in page.text


def test_alarm_list_names_the_parameter(console_url: str, sessions) -> None:
    import psycopg

    with psycopg.connect(console_url) as conn:
        conn.execute(
            """INSERT INTO alarm_event (detector, site_id, parameter_code, t_start, t_end, score, evidence)
               SELECT 'flat', id, 'a21004', '2015-01-01T00:00Z', '2015-01-02T00:00Z', 0.9, '{}' FROM site
               WHERE code = 'Dongsi' ON CONFLICT DO NOTHING""")
    html = sessions["admin"].client.get("/console/alarms").text
    row = next(r for r in html.split("<tr>") if "a21004" in r)
    assert "二氧化氮" in row
    english = sessions["admin"].client.get("/console/alarms?lang=en").text
    assert "nitrogen dioxide" in next(r for r in english.split("<tr>") if "a21004" in r)
