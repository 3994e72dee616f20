"""Portal pages beyond the air map: open-data catalogue and key sign-up, enterprise disclosure, water classes.
Each shows released data only."""

from __future__ import annotations

import hashlib
import re

import psycopg
import pytest
from fastapi.testclient import TestClient
from web_portal_data import portal_db  # noqa: F401  (fixture)

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def client(portal_db: str):  # noqa: F811
    from ecomon.web.app import create_app

    with TestClient(create_app(portal_db)) as test_client:
        yield test_client


def _sql(url: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(sql, args)
        return cur.fetchall() if cur.description else []


def test_catalogue_shows_licence_attribution_and_download_links(client: TestClient) -> None:
    page = client.get("/opendata").text
    assert 'rel="license">CC BY 4.0</a>' in page
    assert "Beijing Multi-Site Air-Quality Data" in page and "doi:10.1098/rspa.2017.0457" in page
    assert 'href="/api/v1/opendata/datasets/air-hourly.csv"' in page
    assert '<option value="Dongsi">' in page
    english = client.get("/opendata?lang=en").text
    assert "Open data" in english and "Request key" in english


def test_signup_form_shows_the_key_once_and_stores_only_its_digest(client: TestClient, portal_db: str) -> None:  # noqa: F811
    r = client.post("/opendata/keys", data={"email": "a.reader@example.org", "purpose": "school project on PM2.5"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    token = re.search(r"<pre><code>(eco_[A-Za-z0-9_-]+)</code></pre>", r.text).group(1)
    stored = _sql(portal_db, "SELECT t.scopes, u.role FROM api_token t JOIN app_user u ON u.id = t.user_id "
                             "WHERE t.token_hash = %s", (hashlib.sha256(token.encode()).hexdigest(),))
    assert stored == [(["read"], "public")]
    assert client.get("/api/v1/parameters", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/opendata").text


def test_signup_form_refuses_with_a_message_and_escapes_input(client: TestClient) -> None:
    r = client.post("/opendata/keys?lang=zh", data={"email": "<script>x</script>", "purpose": "\"><img src=x onerror=1>"})
    assert r.status_code == 422 and "请填写有效的电子邮箱" in r.text
    assert "<script>x</script>" not in r.text and "<img src=x" not in r.text


@pytest.fixture(scope="module")
def disclosed(portal_db: str) -> str:  # noqa: F811
    """Two enterprises with one flue-gas outlet each; only the first discloses. Released and unreleased SO2."""
    _sql(portal_db, """
        WITH e AS (INSERT INTO enterprise (uscc, name_zh, region_code, industry, updated_by) VALUES
                     ('91110105MA01ABCD3X', '公开热电厂', '110105', '火力发电', 't'),
                     ('91110105MA01ABCE1X', '未公开化工厂', '110105', '化工', 't') RETURNING id, name_zh),
             o AS (INSERT INTO outlet (enterprise_id, code, name_zh, kind, emission_standard, limits, updated_by)
                   SELECT id, 'DA001', name_zh || '1号烟囱', 'gas', 'GB13223-2011', '{"a21026": 35}', 't' FROM e
                   RETURNING id, enterprise_id)
        INSERT INTO disclosure_setting (enterprise_id, disclosed, updated_by)
        SELECT id, name_zh = '公开热电厂', 't' FROM e""")
    for name, value, state in (("公开热电厂", 48.5, 3), ("未公开化工厂", 12.0, 3)):
        _sql(portal_db, """
            WITH s AS (INSERT INTO series (outlet_id, parameter_code, interval_kind)
                       SELECT o.id, 'a21026', 'hour' FROM outlet o JOIN enterprise e ON e.id = o.enterprise_id
                       WHERE e.name_zh = %s RETURNING id)
            INSERT INTO latest_value (series_id, t, value, qc_flag, review_state)
            SELECT id, '2016-02-29 15:00+00', %s, 1, %s FROM s""", (name, value, state))
    return portal_db


def test_disclosure_lists_only_disclosing_enterprises_with_released_values(client: TestClient, disclosed: str) -> None:
    page = client.get("/disclosure").text
    assert "公开热电厂" in page and "未公开化工厂" not in page
    assert "48.5" in page and "超标" in page and "GB13223-2011" in page  # 48.5 > 35 mg/m³
    _sql(disclosed, "UPDATE latest_value SET review_state = 0 WHERE value = 48.5")
    page = client.get("/disclosure").text
    assert "公开热电厂" in page and "48.5" not in page  # no longer released: the value disappears


def test_water_page_classifies_sections_from_released_data_only(client: TestClient, portal_db: str) -> None:  # noqa: F811
    _sql(portal_db, """
        WITH s AS (INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, target_class,
                                     updated_by)
                   VALUES ('W-Liangshui', '凉水河断面', 'water', 'river', 'city', '110105', 'III', 't') RETURNING id),
             se AS (INSERT INTO series (site_id, parameter_code, interval_kind)
                    SELECT id, 'w21003', 'hour' FROM s RETURNING id)
        INSERT INTO observation (series_id, t, value, qc_flag, review_state, channel, source_id)
        SELECT se.id, v.t::timestamptz, v.value, 1, v.state, 'manual', 0 FROM se,
               (VALUES ('2016-02-10 02:00+00', 1.2, 3), ('2016-02-11 02:00+00', 1.2, 3),
                       ('2016-02-12 02:00+00', 9.0, 0)) AS v(t, value, state)""")
    page = client.get("/water").text
    row = re.search(r'<tr data-section="W-Liangshui">(.*?)</tr>', page, re.DOTALL).group(1)
    assert "class-IV" in row and "未达标" in row  # NH3-N 1.2 mg/L is class IV (GB 3838 Table 1); target III
    assert "2016-02" in page
