"""The two-tier review through the API: wrong roles are refused (and recorded), a month is reviewed, audited and
signed by named users, a change to a signed value is refused and recorded, and succeeds only after reopening with
the original kept; interference records are permanent even against SQL."""

from __future__ import annotations

import psycopg
import pytest

SITE = "Dongsi"
MARCH = {"site": SITE, "from": "2013-03-01T00:00:00", "to": "2013-04-01T00:00:00"}
T = "2013-03-15T08:00:00"


def _refusals(qdb, action: str) -> int:
    return qdb.execute("SELECT count(*) FROM review_action WHERE action = %s AND outcome = 'refused'",
                       (action,)).fetchone()[0]


def _state_counts(qdb) -> dict[int, int]:
    return dict(qdb.execute("""SELECT o.review_state, count(*) FROM observation o JOIN series se ON se.id = o.series_id
                               JOIN site s ON s.id = se.site_id WHERE s.code = %s GROUP BY 1""", (SITE,)).fetchall())


def test_review_month_sign_and_refuse_change_of_signed_value(qworld, qclient, qdb) -> None:
    auth = qworld.auth
    # wrong roles: a department user may not review; station staff may not audit (二审); both refusals recorded
    r = qclient.post("/api/v1/review/accept", json={**MARCH, "level": 1}, headers=auth("q_department"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    r = qclient.post("/api/v1/review/accept", json={**MARCH, "level": 2}, headers=auth("q_reviewer"))
    assert r.status_code == 403
    assert _refusals(qdb, "accept") == 2
    # outside the reviewer's region: the same 404 as an unknown site
    r = qclient.post("/api/v1/review/accept", json={**MARCH, "site": "Aotizhongxin", "level": 1},
                     headers=auth("q_reviewer"))
    assert r.status_code == 404
    # the public cannot reach the review API at all
    assert qclient.post("/api/v1/review/accept", json={**MARCH, "level": 1},
                        headers=auth("q_public")).status_code == 403

    # 一审 by station staff; a level cannot be skipped (audit of unreviewed values moves nothing)
    r = qclient.post("/api/v1/review/accept", json={**MARCH, "level": 1}, headers=auth("q_reviewer"))
    assert r.status_code == 200 and r.json()["changed"] > 7000
    r = qclient.post("/api/v1/review/signoffs", json={"site": SITE, "month": "2013-03", "level": 1},
                     headers=auth("q_reviewer"))
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["signed_by"] == "q_reviewer" and len(first["signature"]) == 64
    # 二审 by the centre, then its sign-off (a different person than the level-1 signer)
    r = qclient.post("/api/v1/review/accept", json={**MARCH, "level": 2}, headers=auth("q_centre"))
    assert r.status_code == 200 and r.json()["skipped"] == 0
    r = qclient.post("/api/v1/review/signoffs", json={"site": SITE, "month": "2013-03", "level": 2},
                     headers=auth("q_centre"))
    assert r.status_code == 200
    assert set(_state_counts(qdb)) == {2}

    # changing a signed value is refused, recorded in the review log and in the audit chain; the value stays
    sid, before = qdb.execute("""SELECT o.series_id, o.value FROM observation o JOIN series se ON se.id = o.series_id
                                 JOIN site s ON s.id = se.site_id WHERE s.code = %s AND se.parameter_code = 'a34004'
                                 AND o.t = '2013-03-15T00:00:00Z'""", (SITE,)).fetchone()
    body = {"site": SITE, "parameter": "PM2.5", "t": T, "value": 12.0, "reason": "站长要求 / asked by the head"}
    r = qclient.post("/api/v1/review/correct", json=body, headers=auth("q_centre"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "period_signed"
    assert _refusals(qdb, "correct") == 1
    assert qdb.execute("SELECT count(*) FROM audit_event WHERE action = 'review.correct.refused'").fetchone()[0] == 1
    assert qdb.execute("SELECT value FROM observation WHERE series_id = %s AND t = '2013-03-15T00:00:00Z'",
                       (sid,)).fetchone()[0] == before
    r = qclient.post("/api/v1/review/invalidate", json={**MARCH, "reason": "x"}, headers=auth("q_reviewer"))
    assert r.status_code == 409

    # reopened (with reason) by the centre, the correction goes through and the original is kept
    r = qclient.post("/api/v1/review/signoffs/reopen", json={"site": SITE, "month": "2013-03", "reason": "复核"},
                     headers=auth("q_centre"))
    assert r.json() == {"reopened": 2}
    r = qclient.post("/api/v1/review/correct", json=body, headers=auth("q_centre"))
    assert r.status_code == 200 and r.json()["changed"] == 1
    value, version = qdb.execute("SELECT value, version FROM observation WHERE series_id = %s "
                                 "AND t = '2013-03-15T00:00:00Z'", (sid,)).fetchone()
    kept = qdb.execute("SELECT value, superseded_by FROM observation_history WHERE series_id = %s "
                       "AND t = '2013-03-15T00:00:00Z' ORDER BY version DESC LIMIT 1", (sid,)).fetchone()
    assert value == 12.0 and version >= 2 and kept == (before, "q_centre")
    listed = qclient.get("/api/v1/review/actions", params={"site": SITE, "outcome": "refused"},
                         headers=auth("q_centre")).json()
    assert {a["action"] for a in listed["results"]} >= {"accept", "correct", "invalidate"}


def test_invalidate_needs_reason_and_sets_fail(qworld, qclient, qdb) -> None:
    period = {"site": "Aotizhongxin", "parameter": "SO2", "from": "2013-03-20T00:00:00", "to": "2013-03-20T06:00:00"}
    r = qclient.post("/api/v1/review/invalidate", json={**period, "reason": ""}, headers=qworld.auth("q_centre"))
    assert r.status_code == 422
    r = qclient.post("/api/v1/review/invalidate", json={**period, "reason": "校准期间 / during calibration"},
                     headers=qworld.auth("q_centre"))
    assert r.status_code == 200 and r.json()["changed"] == 6
    flags = qdb.execute("""SELECT DISTINCT o.qc_flag FROM observation o JOIN series se ON se.id = o.series_id
                           JOIN site s ON s.id = se.site_id WHERE s.code = 'Aotizhongxin'
                           AND se.parameter_code = 'a21026' AND o.t >= '2013-03-19T16:00:00Z'
                           AND o.t < '2013-03-19T22:00:00Z'""").fetchall()
    assert flags == [(4,)]
    page = qclient.get("/api/v1/review/sites/Aotizhongxin/qc", params={"parameter": "SO2", "from": period["from"],
                                                                      "to": period["to"]},
                       headers=qworld.auth("q_centre")).json()
    assert [r["qc_flag"] for r in page["results"]] == [4] * 6 and page["results"][0]["review_label"] == "reviewed"


def test_interference_record_is_permanent(qworld, qclient, qdb) -> None:
    r = qclient.post("/api/v1/review/interference", headers=qworld.auth("q_reviewer"), json={
        "requested_at": "2013-03-16T09:30:00", "requester": "王某", "requester_org": "某区某局",
        "channel": "phone", "request": "要求删除3月15日PM2.5高值", "response": "已拒绝", "site": SITE})
    assert r.status_code == 200
    rid = r.json()["id"]
    listed = qclient.get("/api/v1/review/interference", headers=qworld.auth("q_centre")).json()
    assert any(i["id"] == rid and i["filed_by"] == "q_reviewer" for i in listed["results"])
    for sql in ("DELETE FROM interference WHERE id = %s", "UPDATE interference SET request = 'nothing' WHERE id = %s"):
        with pytest.raises(psycopg.errors.RaiseException, match="cannot be changed or deleted"):
            qdb.execute(sql, (rid,))
        qdb.rollback()
    with pytest.raises(psycopg.errors.RaiseException):
        qdb.execute("TRUNCATE interference CASCADE")
    qdb.rollback()
    assert qdb.execute("SELECT requester FROM interference WHERE id = %s", (rid,)).fetchone()[0] == "王某"
