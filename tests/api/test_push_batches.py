"""Department push (JSON and CSV): per-row errors, region scope, idempotent batch ids, lineage channel 'api'."""

from __future__ import annotations

import pytest
from ecomon_api_world import CHAOYANG_SITE, DONGCHENG_SITE, bearer

T0 = "2020-01-01T08:00:00+08:00"


def _rows(site: str, values: list[object], parameter: str = "PM2.5") -> list[dict]:
    return [{"site": site, "parameter": parameter, "t": f"2020-01-01T{8 + i:02d}:00:00+08:00", "value": v}
            for i, v in enumerate(values)]


def test_json_batch_stores_own_rows_and_reports_each_bad_one(client, world, wdb):
    rows = [*_rows(DONGCHENG_SITE, [35.0, 41.5, "n/a"]),
            {"site": CHAOYANG_SITE, "parameter": "PM2.5", "t": T0, "value": 50},
            {"site": DONGCHENG_SITE, "parameter": "no-such-factor", "t": T0, "value": 1},
            {"site": DONGCHENG_SITE, "parameter": "CO", "t": T0, "value": 900, "unit": "µg/m³"},
            {"site": DONGCHENG_SITE, "parameter": "NO2", "t": "yesterday", "value": 3}]
    r = client.post("/api/v1/push/batches", json={"batch_id": "dc-2020-01-01", "rows": rows},
                    headers=bearer(world, "dongcheng"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["rows_total"], out["values_accepted"], out["rows_rejected"], out["replayed"]) == (7, 3, 4, False)
    reasons = {e["row"]: e["reason"] for e in out["errors"]}
    assert reasons[3].startswith("not a number")
    assert reasons[4] == f"unknown site {CHAOYANG_SITE}, or outside your region"
    assert reasons[5] == "unknown parameter no-such-factor"
    assert reasons[7].startswith("time not understood")
    stored = wdb.execute(
        """SELECT se.parameter_code, o.t, o.value, o.channel, o.review_state FROM observation o
           JOIN series se ON se.id = o.series_id JOIN site s ON s.id = se.site_id
           WHERE o.source_id = (SELECT raw_input_id FROM push_batch WHERE batch_id = 'dc-2020-01-01')
             AND o.channel = 'api' ORDER BY se.parameter_code, o.t""").fetchall()
    assert [(p, v, c, rs) for p, _, v, c, rs in stored] == [
        ("a21005", 0.9, "api", 0), ("a34004", 35.0, "api", 0), ("a34004", 41.5, "api", 0)]
    # Nothing was written at the Chaoyang site.
    assert wdb.execute("""SELECT count(*) FROM observation o JOIN series se ON se.id = o.series_id
                          JOIN site s ON s.id = se.site_id WHERE s.code = %s AND o.t >= '2020-01-01'""",
                       (CHAOYANG_SITE,)).fetchone()[0] == 0
    # Per-row errors are kept with the ingest log as well.
    assert wdb.execute("SELECT count(*) FROM ingest_reject WHERE ingest_id = %s",
                       (out["ingest_id"],)).fetchone()[0] == 4
    assert wdb.execute("SELECT count(*) FROM audit_event WHERE action = 'push.batch' AND target = %s",
                       (f"ingest:{out['ingest_id']}",)).fetchone()[0] == 1


def test_a_retried_batch_is_stored_once_and_a_reused_id_is_refused(client, world, wdb):
    body = {"batch_id": "retry-1", "rows": _rows(DONGCHENG_SITE, [10, 11], "NO2")}
    first = client.post("/api/v1/push/batches", json=body, headers=bearer(world, "dongcheng")).json()
    again = client.post("/api/v1/push/batches", json=body, headers=bearer(world, "dongcheng")).json()
    assert again["replayed"] is True and again["ingest_id"] == first["ingest_id"]
    assert {k: v for k, v in again.items() if k != "replayed"} == {k: v for k, v in first.items() if k != "replayed"}
    assert wdb.execute("SELECT count(*) FROM ingest_log l JOIN push_batch p ON p.raw_input_id = l.raw_input_id "
                       "WHERE p.batch_id = 'retry-1'").fetchone()[0] == 1
    changed = {"batch_id": "retry-1", "rows": _rows(DONGCHENG_SITE, [10, 12], "NO2")}
    r = client.post("/api/v1/push/batches", json=changed, headers=bearer(world, "dongcheng"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "batch_id_reused"


def test_csv_batch_with_units_and_flags(client, world, wdb):
    body = ("site,parameter,t,value,unit,flag\n"
            f"{CHAOYANG_SITE},CO,2020-02-01 10:00,1200,µg/m³,N\n"
            f"{CHAOYANG_SITE},SO2,2020-02-01 10:00,-4,,N\n"
            f"{CHAOYANG_SITE},SO2,2020-02-01 11:00,7,,M\n")
    r = client.post("/api/v1/push/batches/csv", params={"batch_id": "cy-csv-1"}, content=body.encode(),
                    headers={**bearer(world, "chaoyang"), "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["values_accepted"], out["rows_rejected"]) == (2, 1)
    assert out["errors"][0]["reason"] == "negative value for a non-negative quantity"
    row = wdb.execute("""SELECT o.value, o.data_flag, o.t FROM observation o JOIN series se ON se.id = o.series_id
                         JOIN site s ON s.id = se.site_id
                         WHERE s.code = %s AND se.parameter_code = 'a21005' AND o.channel = 'api'""",
                      (CHAOYANG_SITE,)).fetchone()
    assert row[0] == pytest.approx(1.2) and row[1] == "N"
    assert row[2].isoformat() == "2020-02-01T02:00:00+00:00"  # naive times are China Standard Time


@pytest.mark.parametrize("body", [b"", b"site;parameter\n1;2\n", b"site,parameter,t,value,colour\nA,B,C,D,E\n"])
def test_csv_batches_that_are_not_tables_are_refused(client, world, body):
    r = client.post("/api/v1/push/batches/csv", params={"batch_id": "bad"}, content=body,
                    headers={**bearer(world, "chaoyang"), "Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"]["code"] in {"invalid_csv", "invalid_columns",
                                                                   "invalid_row_count"}


@pytest.mark.parametrize(("label", "status"), [(None, 401), ("public_user", 403), ("enterprise", 403),
                                               ("reviewer_dongcheng", 403)])
def test_only_departments_centre_and_admin_push(client, world, label, status):
    headers = bearer(world, label) if label else {}
    r = client.post("/api/v1/push/batches", json={"batch_id": "x", "rows": _rows(DONGCHENG_SITE, [1])},
                    headers=headers)
    assert r.status_code == status


def test_a_read_only_token_cannot_push(client, world):
    key = client.post("/api/v1/auth/tokens", json={"name": "ro", "scopes": ["read"], "days": 1},
                      headers=bearer(world, "dongcheng")).json()["token"]
    r = client.post("/api/v1/push/batches", json={"batch_id": "ro", "rows": _rows(DONGCHENG_SITE, [1])},
                    headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
