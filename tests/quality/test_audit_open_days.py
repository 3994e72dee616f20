"""`ecomon audit verify --data` on days still being written (migration 0019): after a pass of the QC worker, rows of
today edited, deleted or inserted behind the application's back are caught; legitimate late or re-sent data are
reported as open, never as tampering; rows appended after the pass do not disturb the check; an edited open-state
table is caught; a day changed before its seal is caught although the seal then commits to the changed rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import polars as pl
import psycopg
import pytest
from typer.testing import CliRunner

from ecomon.cli import app
from ecomon.quality import audit, audit_data
from ecomon.store.observations import merge, series_ids
from tests.conftest import _fresh_database
from tests.foundation.helpers import ensure_registry

runner = CliRunner()
SITES = ("Aotizhongxin", "Dongsi")
TODAY = datetime.now(UTC).date()
START = datetime.combine(TODAY, datetime.min.time(), UTC)


def minutes(ids: list[int], first: float, count: int, offset: float = 0.0) -> pl.DataFrame:
    rows = [(sid, START + timedelta(minutes=first + m), 20.0 + m + offset, "N", 0, 0, m)
            for sid in ids for m in range(count)]
    return pl.DataFrame(rows, schema={"series_id": pl.Int32, "t": pl.Datetime("us", "UTC"), "value": pl.Float64,
                                      "data_flag": pl.Utf8, "qc_flag": pl.Int16, "source_id": pl.Int64,
                                      "row_no": pl.Int32}, orient="row")


def write(url: str, rows: pl.DataFrame, change: str = "ingest") -> None:
    with psycopg.connect(url) as conn:
        audit.attribute(conn, "tester", change)
        merge(conn, rows, channel="hj212", changed_by="tester", local_tz="Asia/Shanghai")
        conn.commit()


def qc_pass(url: str, clock: str | None = None) -> int:
    """The QC worker's audit step; `clock` shifts now() (a function of that name earlier on the search path)."""
    with psycopg.connect(url) as conn:
        if clock:
            conn.execute(f"SET search_path = {clock}, pg_catalog, public")
        sealed = audit_data.seal(conn, "qc-worker")
        conn.commit()
        return sealed


def verify(url: str) -> audit_data.DataReport:
    with psycopg.connect(url) as conn:
        return audit_data.verify_data(conn)


def tamper(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")     # no trigger fires: nothing is chained
        for statement in statements:
            conn.execute(statement)


def at(minute: float) -> str:
    return f"'{(START + timedelta(minutes=minute)).isoformat()}'"


@pytest.fixture()
def open_db(platform_env, monkeypatch) -> Iterator[tuple[str, list[int]]]:
    """Two series with two hours of today: the first as a new partition, the second appended (pending)."""
    from ecomon.config import reset_settings
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_audit_open_test")
    migrate(url)
    with connect(url) as conn:
        ensure_registry(conn)
        sites = [conn.execute("SELECT id FROM site WHERE code = %s", (code,)).fetchone()[0] for code in SITES]
        keys = pl.DataFrame({"site_id": sites, "parameter": ["a34004"] * len(sites)})
        by_site = dict(series_ids(conn, keys, "minute").select("site_id", "series_id").iter_rows())
        ids = [by_site[site] for site in sites]
        conn.commit()
        conn.execute("CREATE SCHEMA tomorrow")
        conn.execute("CREATE FUNCTION tomorrow.now() RETURNS timestamptz LANGUAGE sql STABLE "
                     "AS $$ SELECT pg_catalog.now() + interval '1 day' $$")
        conn.commit()
    write(url, minutes(ids, 0, 60))
    write(url, minutes(ids, 60, 60))
    monkeypatch.setenv("ECOMON_DATABASE_URL", url)
    reset_settings()
    yield url, ids
    reset_settings()


def test_open_day_is_checked_after_a_pass(open_db) -> None:
    url, _ = open_db
    before = verify(url)
    assert before.ok and before.open == 2 and before.open_checked == 0, before
    assert qc_pass(url) == 0                                  # nothing closed: nothing sealed
    report = verify(url)
    assert report.ok, report.problems
    assert (report.open, report.open_checked, report.open_rows) == (0, 2, 240)
    result = runner.invoke(app, ["audit", "verify", "--data"])
    assert result.exit_code == 0 and "2 open series-days (240 rows) match" in result.output, result.output
    assert qc_pass(url) == 0                                  # no rows since: no new record
    with psycopg.connect(url) as conn:
        passes = conn.execute("SELECT count(*) FROM audit_event WHERE action = 'observation.seal.open'").fetchone()
    assert passes[0] == 1


@pytest.mark.parametrize(("kind", "statement"), [
    ("edited", "UPDATE observation SET value = value + 5 WHERE t = {t} AND series_id = {s}"),
    ("edited", "UPDATE observation SET qc_flag = 1 WHERE t = {t} AND series_id = {s}"),
    ("deleted", "DELETE FROM observation WHERE t = {t} AND series_id = {s}"),
    ("inserted", ("INSERT INTO observation (series_id, t, value, channel, source_id) "
                  "VALUES ({s}, {t}::timestamptz + interval '30 seconds', 1, 'hj212', 0)")),
    ("deleted", "DELETE FROM observation WHERE series_id = {s} AND t >= {day}"),
])
def test_rows_changed_behind_the_application_after_a_pass_are_caught(open_db, kind, statement) -> None:
    url, ids = open_db
    qc_pass(url)
    with psycopg.connect(url) as conn:
        pass_seq = conn.execute("SELECT max(seq) FROM audit_event WHERE action = 'observation.seal.open'").fetchone()[0]
    tamper(url, statement.format(s=ids[1], t=at(75), day=at(0)))
    write(url, minutes(ids, 120, 10))                          # rows after the cut: the check is not disturbed
    report = verify(url)
    assert [(p.kind, p.series_id, p.day, p.seq) for p in report.problems] == [(kind, ids[1], TODAY, pass_seq)]
    assert report.open_checked == 2 and report.open == 0
    result = runner.invoke(app, ["audit", "verify", "--data"])
    out = result.output + (result.stderr if result.stderr_bytes else "")
    assert result.exit_code == 1 and f"OBSERVATIONS TAMPERED ({kind})" in out and "Dongsi/a34004" in out, out
    assert f"pass record seq {pass_seq} " in out, out
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0          # the chain alone sees nothing


def test_late_and_resent_rows_below_the_cut_are_open_not_tampered(open_db) -> None:
    url, ids = open_db
    qc_pass(url)
    write(url, minutes(ids[:1], 30.5, 1))                     # a late minute below the cut (an append)
    report = verify(url)
    assert report.ok and report.open == 2 and report.open_checked == 0, report   # span meets both series
    qc_pass(url)
    report = verify(url)
    assert report.ok and report.open_checked == 2 and report.open_rows == 241, report
    write(url, minutes(ids[1:], 10, 5, offset=0.5), change="ingest")   # a re-send: revision with history
    report = verify(url)
    assert report.ok and report.open == 1 and report.open_checked == 1, report   # only the re-sent series
    qc_pass(url)
    report = verify(url)
    assert report.ok and report.open_checked == 2 and report.superseded == 5, report
    tamper(url, f"DELETE FROM observation_history WHERE series_id = {ids[1]}")
    report = verify(url)
    assert [p.kind for p in report.problems] == ["edited"], report.problems


def test_qc_flags_after_the_pass_are_open_until_the_next(open_db) -> None:
    url, ids = open_db
    qc_pass(url)
    with psycopg.connect(url) as conn:
        audit.attribute(conn, "qc-worker", "qc")
        conn.execute("UPDATE observation SET qc_flag = 1 WHERE series_id = %s", (ids[0],))
        conn.commit()
    report = verify(url)
    assert report.ok and report.open == 1 and report.open_checked == 1, report
    qc_pass(url)
    report = verify(url)
    assert report.ok and report.open_checked == 2, report


def test_forged_open_state_table_is_caught_and_chained(open_db) -> None:
    url, ids = open_db
    qc_pass(url)
    # rows edited and the state rewritten to match them: the pass record's commitment no longer holds
    tamper(url, f"UPDATE observation SET value = 0 WHERE series_id = {ids[0]} AND t = {at(3)}",
           """UPDATE observation_open_state s SET blocks = (
                  SELECT string_agg(entry, ''::bytea ORDER BY block)
                  FROM observation_open_blocks(ARRAY[s.series_id], ARRAY[s.day], ARRAY[0], ARRAY[s.t_cut],
                                               ARRAY[s.t_cut]))""")
    report = verify(url)
    assert [p.kind for p in report.problems] == ["state"], report.problems
    assert "open-state table was edited" in report.problems[0].message
    qc_pass(url)                                              # the next pass finds it, chains it, rebuilds
    report = verify(url)
    assert [p.kind for p in report.problems] == ["state"], report.problems
    assert "found the provisional states of open days edited" in report.problems[0].message
    # a state deleted to escape the check is caught as well
    tamper(url, f"DELETE FROM observation_open_state WHERE series_id = {ids[1]}")
    assert sum(p.kind == "state" for p in verify(url).problems) == 2


def test_rows_changed_between_passes_are_not_laundered_by_the_next(open_db) -> None:
    url, ids = open_db
    qc_pass(url)
    tamper(url, f"UPDATE observation SET value = 0 WHERE series_id = {ids[0]} AND t = {at(75)}",   # cut's hour
           f"UPDATE observation SET value = 0 WHERE series_id = {ids[1]} AND t = {at(10)}")    # an hour before
    write(url, minutes(ids, 120, 2))
    qc_pass(url)                           # re-reads the hour of the previous cut (01:00–02:00) only
    with psycopg.connect(url) as conn:
        seq = conn.execute("SELECT max(seq) FROM audit_event WHERE action = 'observation.seal.open'").fetchone()[0]
    report = verify(url)
    problems = sorted((p.series_id, p.kind, p.seq) for p in report.problems)
    assert problems == sorted([(ids[0], "edited", seq), (ids[1], "edited", seq)]), report.problems
    assert "below the previous pass's cut changed" in next(p for p in report.problems if p.series_id == ids[0]).message
    assert "first in 00:00–01:00 UTC" in next(p for p in report.problems if p.series_id == ids[1]).message


def test_day_changed_before_its_seal_is_caught(open_db) -> None:
    url, ids = open_db
    qc_pass(url)
    tamper(url, f"UPDATE observation SET value = -1 WHERE series_id = {ids[1]} AND t = {at(100)}")
    assert qc_pass(url, clock="tomorrow") == 2               # the day has closed: sealed as it stands now
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM observation_open_state").fetchone()[0]
        seal = conn.execute("SELECT max(seq) FROM audit_event WHERE action = 'observation.seal.open'").fetchone()[0]
    assert left == 0
    report = verify(url)
    assert report.days == 2 and report.open == 0             # the sealed states match the changed rows …
    assert [(p.kind, p.series_id, p.day, p.seq) for p in report.problems] == [("edited", ids[1], TODAY, seal)]
    assert "below the previous pass's cut changed" in report.problems[0].message   # … the pass chained the change
    assert verify_range(url, TODAY + timedelta(days=1)).ok


def verify_range(url: str, since: date) -> audit_data.DataReport:
    with psycopg.connect(url) as conn:
        return audit_data.verify_data(conn, since)


def test_writers_passes_and_verify_at_once_report_no_tampering(open_db) -> None:
    """Appends (some late, below the cut), QC passes and verify run concurrently: verify never reports a problem,
    whatever the interleaving (the pass and writers serialise on the chain's lock; verify reads one snapshot)."""
    url, ids = open_db
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(24):
                write(url, minutes(ids, 120 + i, 1))
                if i % 3 == 0:
                    write(url, minutes(ids[:1], 30.25 + i, 1))           # late, below any cut
        except BaseException as error:  # noqa: BLE001 — reported by the main thread
            errors.append(error)
        finally:
            done.set()

    def passer() -> None:
        try:
            while not done.is_set():
                qc_pass(url)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=writer), threading.Thread(target=passer)]
    for thread in threads:
        thread.start()
    reports = []
    while not done.is_set():
        reports.append(verify(url))
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert all(r.ok for r in reports), [r.problems for r in reports if not r.ok]
    assert sum(r.open_checked for r in reports) > 0
    qc_pass(url)
    final = verify(url)
    assert final.ok and final.open_checked == 2 and final.open_rows == 2 * (120 + 24) + 8, final
