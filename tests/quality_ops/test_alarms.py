"""Detectors run batch-wise over stored data create alarm events with evidence; staff confirm or dismiss them."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from ecomon.cli import app
from ecomon.quality import pipeline


def _freeze(qdb, site: str, code: str, start: str, end: str, value: float) -> None:
    """A frozen analyser: one value repeated for hours (detector D1), written as a revision by ingest."""
    qdb.execute("""UPDATE observation o SET value = %s FROM series se, site s
                   WHERE se.id = o.series_id AND s.id = se.site_id AND s.code = %s AND se.parameter_code = %s
                     AND o.t >= %s AND o.t < %s""", (value, site, code, start, end))
    qdb.commit()


def test_flat_run_becomes_an_alarm_with_evidence_and_verdict(qworld, qclient, qdb, use_database) -> None:
    _freeze(qdb, "Aotizhongxin", "a34004", "2013-03-05T00:00:00Z", "2013-03-06T12:00:00Z", 87.0)
    new = pipeline.detect(qdb, datetime(2013, 3, 1, tzinfo=UTC), datetime(2013, 4, 1, tzinfo=UTC), actor="test")
    qdb.commit()
    assert new >= 1
    # the same findings are stored once
    assert pipeline.detect(qdb, datetime(2013, 3, 1, tzinfo=UTC), datetime(2013, 4, 1, tzinfo=UTC),
                           actor="test") == 0
    listed = qclient.get("/api/v1/alarms", params={"site": "Aotizhongxin", "detector": "flat"},
                         headers=qworld.auth("q_centre")).json()
    hits = [a for a in listed["results"] if a["parameter_code"] == "a34004"]
    assert hits and hits[0]["status"] == "open" and hits[0]["detector_label"] == "恒值"
    detail = qclient.get(f"/api/v1/alarms/{hits[0]['id']}", headers=qworld.auth("q_centre")).json()
    series = detail["evidence"]["series"]
    assert len(series["time"]) == len(series["value"]) > 36 and 87.0 in series["value"]
    # Dongcheng staff do not see a Chaoyang alarm; a department user may not judge
    assert qclient.get(f"/api/v1/alarms/{hits[0]['id']}", headers=qworld.auth("q_reviewer")).status_code == 404
    assert qclient.post(f"/api/v1/alarms/{hits[0]['id']}/verdict", json={"verdict": "confirmed"},
                        headers=qworld.auth("q_department")).status_code == 403
    r = qclient.post(f"/api/v1/alarms/{hits[0]['id']}/verdict",
                     json={"verdict": "confirmed", "note": "分析仪冻结 / analyser frozen"}, headers=qworld.auth("q_centre"))
    assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["verdict_by"] == "q_centre"
    # the verdicts are the labels for tuning, listed by the CLI
    use_database(qworld.url)
    out = CliRunner().invoke(app, ["alarms", "list", "--status", "confirmed"])
    assert out.exit_code == 0 and f"{hits[0]['id']},flat,Aotizhongxin,a34004" in out.stdout
