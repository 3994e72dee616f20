"""File import from the console: upload, background import with progress, reject report, scope and roles."""

from __future__ import annotations

import csv
import io
import time

import psycopg
import pytest

pytestmark = pytest.mark.engines

CSV = """site,parameter,t,value,unit
Aotizhongxin,PM2.5,2016-03-01T00:00:00,41,µg/m³
Aotizhongxin,PM2.5,2016-03-01T01:00:00,abc,µg/m³
Nongzhanguan,PM2.5,2016-03-01T00:00:00,38,µg/m³
Nongzhanguan,NOSUCH,2016-03-01T00:00:00,1,
"""


def _wait(client, job_id: int) -> dict:
    deadline = time.monotonic() + 60
    while True:
        job = client.get(f"/api/v1/imports/{job_id}").json()
        if job["status"] in ("done", "skipped", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def _upload(session, text: str, name: str = "console.csv"):  # type: ignore[no-untyped-def]
    return session.write("POST", "/api/v1/imports", files={"file": (name, text.encode(), "text/csv")},
                         data={"interval": "hour"})


def test_import_runs_in_the_background_and_reports_rejects(sessions, console_url: str) -> None:
    county = sessions["chaoyang"]
    started = _upload(county, CSV)
    assert started.status_code == 202, started.text
    job = _wait(county.client, started.json()["id"])
    assert job["status"] == "done", job
    assert job["summary"]["values_accepted"] == 2 and job["summary"]["values_rejected"] == 2
    assert job["values_done"] == job["values_total"] == 2

    report = county.client.get(f"/api/v1/imports/{job['id']}/rejects.csv")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert {(r["row_no"], r["column_name"]) for r in rows} == {("2", "value"), ("4", "parameter")}
    assert all(r["reason"] for r in rows)

    fragment = county.client.get(f"/console/data/import/{job['id']}/progress").text
    assert 'data-status="done"' in fragment and "hx-trigger" not in fragment
    assert f"/api/v1/imports/{job['id']}/rejects.csv" in fragment
    page = county.client.get("/console/data/import", params={"job": job["id"]}).text
    assert "console.csv" in page and 'data-testid="reject-report"' in page

    with psycopg.connect(console_url) as conn:
        stored = conn.execute(
            """SELECT count(*) FROM observation o JOIN series se ON se.id = o.series_id
               WHERE o.t = '2016-02-29T16:00Z' AND se.parameter_code = 'a34004' AND o.channel = 'file'
                 AND se.site_id IN (SELECT id FROM site WHERE code IN ('Aotizhongxin', 'Nongzhanguan'))""").fetchone()
        assert stored[0] == 2
        audited = conn.execute("SELECT count(*) FROM audit_event WHERE actor = 'chaoyang' AND action = 'import.file'"
                               ).fetchone()
        assert audited[0] == 1


def test_same_file_again_is_skipped(sessions) -> None:
    county = sessions["chaoyang"]
    job = _wait(county.client, _upload(county, CSV).json()["id"])
    assert job["status"] == "skipped" and job["ingest_id"] is not None
    assert county.client.get(f"/api/v1/imports/{job['id']}/rejects.csv").text.count("\n") == 3


def test_county_user_cannot_import_other_districts(sessions, console_url: str) -> None:
    with psycopg.connect(console_url) as conn:
        before = conn.execute("SELECT count(*) FROM import_job").fetchone()[0]
    refused = _upload(sessions["chaoyang"], "site,parameter,t,value\nDongsi,PM2.5,2016-03-01T00:00:00,5\n", "x.csv")
    assert refused.status_code == 403 and refused.json()["error"]["detail"]["sites"] == ["Dongsi"]
    with psycopg.connect(console_url) as conn:
        assert conn.execute("SELECT count(*) FROM import_job").fetchone()[0] == before


def test_roles_csrf_and_bad_uploads(sessions) -> None:
    assert _upload(sessions["viewer"], CSV).status_code == 403
    no_csrf = sessions["admin"].client.post("/api/v1/imports", files={"file": ("a.csv", b"x", "text/csv")})
    assert no_csrf.status_code == 403
    empty = _upload(sessions["admin"], "")
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_file"
    wrong = _upload(sessions["admin"], "a,b\n1,2\n")
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "missing_station_column"
    bad_mapping = sessions["admin"].write("POST", "/api/v1/imports", files={
        "file": ("a.csv", CSV.encode(), "text/csv"), "mapping": ("m.toml", b"[station\n", "application/toml")})
    assert bad_mapping.status_code == 422 and bad_mapping.json()["error"]["code"] == "invalid_mapping"


def test_jobs_are_private_to_their_owner(sessions) -> None:
    admin_job = _wait(sessions["admin"].client, _upload(
        sessions["admin"], "site,parameter,t,value\nDongsi,PM10,2016-03-01T00:00:00,50\n", "admin.csv").json()["id"])
    assert admin_job["status"] == "done"
    assert sessions["chaoyang"].client.get(f"/api/v1/imports/{admin_job['id']}").status_code == 404
    assert sessions["chaoyang"].client.get(f"/api/v1/imports/{admin_job['id']}/rejects.csv").status_code == 404


def test_nul_characters_in_a_file_never_break_the_server(sessions) -> None:
    started = _upload(sessions["chaoyang"], "site,parameter,t,value\nAoti\x00zhongxin,PM2.5,2016-03-02T00:00:00,5\n",
                      "nul.csv")
    assert started.status_code == 202, started.text
    job = _wait(sessions["chaoyang"].client, started.json()["id"])
    assert job["status"] in ("done", "failed") and (job["status"] == "done" or job["error"]), job


def test_a_job_whose_worker_is_gone_ends_as_failed(sessions, console_url: str) -> None:
    """A web process that stops mid-import leaves its job 'running'; the next look at the jobs closes it as failed,
    but never a job whose worker still holds its lock (another web process may be running it)."""
    from ecomon.web.api.imports import ABANDONED

    county = sessions["chaoyang"]
    with psycopg.connect(console_url, autocommit=True) as conn, psycopg.connect(console_url, autocommit=True) as worker:
        user_id = conn.execute("SELECT id FROM app_user WHERE username = 'chaoyang'").fetchone()[0]
        orphan, alive, fresh = (conn.execute(
            """INSERT INTO import_job (file_name, status, user_id, created_by, created_at)
               VALUES (%s, %s, %s, 'chaoyang', now() - %s::interval) RETURNING id""",
            (name, status, user_id, age)).fetchone()[0]
            for name, status, age in (("orphan.csv", "running", "10 minutes"), ("alive.csv", "running", "10 minutes"),
                                      ("fresh.csv", "queued", "1 second")))
        worker.execute("SELECT pg_advisory_lock(hashtext('ecomon.import_job')::integer, %s)", (alive,))
        jobs = {j["id"]: j for j in county.client.get("/api/v1/imports").json()["results"]}
        assert (jobs[orphan]["status"], jobs[orphan]["error"]) == ("failed", ABANDONED)
        assert jobs[orphan]["finished_at"] is not None
        assert jobs[alive]["status"] == "running" and jobs[fresh]["status"] == "queued"
        # The check released the locks it took: the worker of the orphan could still have taken its own.
        held = conn.execute("""SELECT objid::text::bigint FROM pg_locks
                               WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND objid::text::bigint = ANY(%s)""",
                            ([orphan, alive, fresh],)).fetchall()
        assert held == [(alive,)]
        worker.execute("SELECT pg_advisory_unlock_all()")
        assert county.client.get(f"/api/v1/imports/{alive}").json()["status"] == "failed"
