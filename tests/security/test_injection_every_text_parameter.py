"""SQL/HTML/JS strings in every text parameter of every GET route: never a 5xx, never reflected into HTML,
and the database is unharmed."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from ecomon_api_world import DONGCHENG_SITE, bearer

PAYLOADS = [
    "' OR '1'='1",
    "1; DROP TABLE site; --",
    "a34004' UNION SELECT password_hash FROM app_user --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "${7*7}{{7*7}}",
    "%00\\x00",
    "nul\x00byte",
    "../../etc/passwd",
    "=cmd|' /C calc'!A0",
    "北京'); --",
    "²",
]

S = DONGCHENG_SITE
# Every text-valued input of every read route (paths and query strings).
TEXT_INPUTS = [
    ("/api/v1/sites/{p}", None),
    ("/api/v1/sites/{p}/latest", None),
    ("/api/v1/sites/{p}/observations", None),
    ("/api/v1/sites/{p}/aggregates", None),
    ("/api/v1/parameters/{p}", None),
    ("/api/v1/sites", "element"),
    ("/api/v1/sites", "site_type"),
    ("/api/v1/sites", "region"),
    ("/api/v1/sites", "bbox"),
    ("/api/v1/sites", "coordinates"),
    ("/api/v1/sites", "state"),
    ("/api/v1/parameters", "element"),
    ("/api/v1/latest", "parameter"),
    ("/api/v1/latest", "element"),
    (f"/api/v1/sites/{S}/latest", "parameter"),
    (f"/api/v1/sites/{S}/observations", "parameter"),
    (f"/api/v1/sites/{S}/observations", "from"),
    (f"/api/v1/sites/{S}/observations", "interval"),
    (f"/api/v1/sites/{S}/aggregates", "parameter"),
    (f"/api/v1/sites/{S}/aggregates", "kind"),
    ("/api/v1/ingest/logs", "status"),
    ("/api/v1/ingest/logs/{p}", None),
]


@pytest.mark.parametrize(("route", "param"), TEXT_INPUTS)
def test_hostile_strings_are_refused_cleanly(client, world, route, param):
    for payload in PAYLOADS:
        if param is None:
            url, params = route.format(p=quote(payload, safe="")), {"parameter": "a34004"}
        else:
            url, params = route, {param: payload}
        r = client.get(url, params=params, headers=bearer(world, "admin"))
        assert r.status_code < 500, (url, params, r.text)
        content_type = r.headers.get("content-type", "")
        assert "html" not in content_type, (url, content_type)
        assert r.headers["x-content-type-options"] == "nosniff"
        if r.status_code == 200 and content_type.startswith("application/json"):
            assert payload not in r.text, (url, params)


def test_database_unharmed_after_injection_attempts(client, world, wdb):
    client.get("/api/v1/sites/1; DROP TABLE site; --")
    assert wdb.execute("SELECT count(*) FROM site").fetchone()[0] == 12
    r = client.get("/api/v1/sites", params={"element": "' OR '1'='1"})
    assert r.json()["results"] == []


def test_csv_cells_that_look_like_formulas_are_neutralised(client, world, wdb):
    raw = wdb.execute("""INSERT INTO raw_input (sha256, name, channel, size_bytes, stored_path, received_by)
                        VALUES (repeat('f', 64), 'formula.csv', 'file', 1, 'x', 'test')
                        ON CONFLICT (sha256) DO UPDATE SET name = excluded.name RETURNING id""").fetchone()[0]
    log = wdb.execute("INSERT INTO ingest_log (raw_input_id, mapping, status, by_user) VALUES (%s, '{}', 'done', 't') "
                     "RETURNING id", (raw,)).fetchone()[0]
    wdb.execute("INSERT INTO ingest_reject (ingest_id, row_no, column_name, value, reason) "
               "VALUES (%s, 1, 'PM2.5', '=HYPERLINK(\"http://x\")', 'not a number')", (log,))
    wdb.commit()
    r = client.get(f"/api/v1/ingest/logs/{log}/rejects", params={"format": "csv"}, headers=bearer(world, "admin"))
    assert "'=HYPERLINK" in r.text and ",=HYPERLINK" not in r.text
