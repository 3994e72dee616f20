"""`ecomon audit verify --data`: observations edited, deleted or inserted behind the application's back (triggers
off as a superuser, the chain untouched) are named with their series, day and the statement whose state they no
longer match — after new data on every write path, a revision with history, QC flags and review states changed in
place, and two writers of the same day at once."""

from __future__ import annotations

import threading
import time
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
DAY0 = datetime(2024, 3, 1, tzinfo=UTC)
SITES = ("Aotizhongxin", "Dongsi")


def frame(ids: list[int], start: datetime, hours: int, offset: float = 0.0) -> pl.DataFrame:
    rows = [(sid, start + timedelta(hours=h), None if h == 3 else 10.0 + h + offset, "N", 2, 0, h)
            for sid in ids for h in range(hours)]
    return pl.DataFrame(rows, schema={"series_id": pl.Int32, "t": pl.Datetime("us", "UTC"), "value": pl.Float64,
                                      "data_flag": pl.Utf8, "qc_flag": pl.Int16, "source_id": pl.Int64,
                                      "row_no": pl.Int32}, orient="row")


def write(conn: psycopg.Connection, rows: pl.DataFrame, change: str = "ingest") -> None:
    audit.attribute(conn, "tester", change)
    merge(conn, rows, channel="file", changed_by="tester", local_tz="Asia/Shanghai")
    conn.commit()


@pytest.fixture()
def data_db(platform_env, use_database) -> tuple[str, list[int]]:
    """Three days of two hourly series written the ways the application writes them; returns (url, series ids)."""
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_audit_data_test")
    migrate(url)
    with connect(url) as conn:
        ensure_registry(conn)
        sites = [conn.execute("SELECT id FROM site WHERE code = %s", (code,)).fetchone()[0] for code in SITES]
        keys = pl.DataFrame({"site_id": sites, "parameter": ["a34004"] * len(sites)})
        by_site = dict(series_ids(conn, keys, "hour").select("site_id", "series_id").iter_rows())
        ids = [by_site[site] for site in sites]
        conn.commit()
        write(conn, frame(ids, DAY0, 12))                                  # new month: a partition of its own
        write(conn, frame(ids, DAY0 + timedelta(hours=12), 60))            # appended to day 1 (obs_new path)
        write(conn, frame(ids, DAY0 + timedelta(hours=30), 10, 0.5))       # revision: staged merge + history
        audit.attribute(conn, "qc-worker", "qc")                            # QC flags in place, part of a day
        conn.execute("UPDATE observation SET qc_flag = 1 WHERE series_id = %s AND t < %s",
                     (ids[0], DAY0 + timedelta(hours=40)))
        audit.attribute(conn, "q_reviewer", "review")                       # review state, no history
        conn.execute("UPDATE observation SET review_state = 1 WHERE t >= %s AND t < %s",
                     (DAY0 + timedelta(hours=20), DAY0 + timedelta(hours=50)))
        conn.commit()
        assert audit_data.seal(conn, "qc-worker") == 2 * 3    # the appended days, closed: sealed as the worker does
        conn.commit()
    use_database(url)
    return url, ids


def _tamper(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")     # no trigger fires: nothing is chained
        for sql in statements:
            conn.execute(sql)


def _verify(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify", "--data", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_untouched_data_verifies_after_every_kind_of_write(data_db) -> None:
    url, _ = data_db
    with psycopg.connect(url) as conn:
        report = audit_data.verify_data(conn)
        stored = conn.execute("SELECT count(*) FROM observation").fetchone()[0]
        history = conn.execute("SELECT count(*) FROM observation_history").fetchone()[0]
    assert report.ok, report.problems
    assert report.rows == stored == 2 * 72 and report.days == 2 * 3 and history == report.superseded == 2 * 10
    code, out = _verify()
    assert code == 0 and "144 rows and 20 superseded versions in 6 series-days" in out, out


def _last_seq(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT max(seq) FROM observation_day_state WHERE day = '2024-03-02'").fetchone()[0]


@pytest.mark.parametrize(("kind", "statement"), [
    ("edited", "UPDATE observation SET value = value - 5 WHERE t = '2024-03-02 07:00+00' AND series_id = {s}"),
    ("edited", "UPDATE observation SET qc_flag = 4 WHERE t = '2024-03-02 07:00+00' AND series_id = {s}"),
    ("deleted", "DELETE FROM observation WHERE t = '2024-03-02 07:00+00' AND series_id = {s}"),
    ("inserted", ("INSERT INTO observation (series_id, t, value, channel, source_id) "
                  "VALUES ({s}, '2024-03-02 07:30+00', 1, 'file', 0)")),
    ("edited", "DELETE FROM observation_history WHERE t = '2024-03-02 07:00+00' AND series_id = {s}"),
    ("edited", "UPDATE observation_history SET value = 1 WHERE t = '2024-03-02 07:00+00' AND series_id = {s}"),
])
def test_tampered_row_is_named_with_series_day_and_statement(data_db, kind, statement) -> None:
    url, ids = data_db
    seq = _last_seq(url)
    _tamper(url, statement.format(s=ids[1]))
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0          # the chain alone sees nothing
    code, out = _verify()
    assert code == 1 and f"OBSERVATIONS TAMPERED ({kind})" in out, out
    assert "Dongsi/a34004" in out and "2024-03-02" in out and f"record seq {seq} " in out, out
    assert "1 problem(s)" in out
    # a range that leaves the day out is clean; one that includes it is not
    assert _verify("--from", "2024-03-03")[0] == 0
    assert _verify("--to", "2024-03-01")[0] == 0
    assert _verify("--from", "2024-03-02", "--to", "2024-03-02", "--site", "Dongsi")[0] == 1
    assert _verify("--site", "Aotizhongxin")[0] == 0


def test_deleted_day_and_rows_written_around_the_application(data_db) -> None:
    url, ids = data_db
    _tamper(url, f"DELETE FROM observation WHERE series_id = {ids[0]} AND t >= '2024-03-03' AND t < '2024-03-04'",
            f"INSERT INTO observation (series_id, t, value, channel, source_id) VALUES ({ids[0]}, '2024-03-09', 1, "
            "'file', 0)")
    with psycopg.connect(url) as conn:
        report = audit_data.verify_data(conn)
    kinds = sorted((p.kind, p.day) for p in report.problems)
    assert kinds == [("deleted", date(2024, 3, 3)), ("inserted", date(2024, 3, 9))], report.problems
    gone = next(p for p in report.problems if p.kind == "deleted")
    assert "all 24 row(s)" in gone.message and gone.seq is not None
    assert report.first is gone                                   # the earliest statement comes first
    assert "written around the application" in next(p for p in report.problems if p.kind == "inserted").message


def test_state_table_forged_to_match_is_caught_by_the_chain(data_db) -> None:
    url, ids = data_db
    # the attacker edits a value and rewrites the newest day state to the digest of the edited day
    _tamper(url, f"UPDATE observation SET value = 1 WHERE series_id = {ids[0]} AND t = '2024-03-02 05:00+00'",
            f"""UPDATE observation_day_state d SET digest = (
                    SELECT sha256(string_agg(observation_row_bytes(series_id, t, value, data_flag, qc_flag,
                                                                   review_state, version), ''::bytea ORDER BY t))
                    FROM observation WHERE series_id = {ids[0]} AND t >= '2024-03-02' AND t < '2024-03-03')
                WHERE series_id = {ids[0]} AND day = '2024-03-02'
                  AND seq = (SELECT max(seq) FROM observation_day_state WHERE series_id = {ids[0]}
                             AND day = '2024-03-02')""")
    code, out = _verify()
    assert code == 1 and "OBSERVATIONS TAMPERED (state)" in out and "state table was edited" in out, out


def test_two_writers_of_the_same_day_at_once(data_db) -> None:
    """The second writer waits for the chain lock; the day, open while written, is sealed with both writers' rows."""
    from ecomon.store.db import connect

    url, ids = data_db
    day = DAY0 + timedelta(days=5)                  # same month (partition exists): both take the append path
    first, done = connect(url), []
    write_first = frame(ids, day, 6)
    audit.attribute(first, "writer-1", "ingest")
    merge(first, write_first, channel="file", changed_by="writer-1", local_tz="Asia/Shanghai")   # not committed

    def second() -> None:
        with connect(url) as conn:
            write(conn, frame(ids, day + timedelta(hours=6), 6))
            done.append(True)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(1.0)
    assert not done                                 # blocked behind the first writer's chain lock
    first.commit()
    first.close()
    thread.join(30)
    assert done
    with psycopg.connect(url) as conn:
        assert audit_data.verify_data(conn, date(2024, 3, 6), date(2024, 3, 6)).open == 2
        assert audit_data.seal(conn, "qc-worker") == 2
        conn.commit()
        report = audit_data.verify_data(conn, date(2024, 3, 6), date(2024, 3, 6))
        newest = conn.execute("SELECT n FROM observation_day_state WHERE day = '2024-03-06' "
                              "ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert report.ok and report.rows == 2 * 12 and newest == 12, report.problems


def test_day_digests_from_binary_copy_equal_batch_digest(data_db) -> None:
    """The verifier cuts obs-v2 bytes from a binary COPY; the result equals store.observations.batch_digest over
    the same rows fetched as Python values (NULL values and flags included)."""
    from ecomon.store.observations import DIGEST_COLUMNS, batch_digest

    url, ids = data_db
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE observation SET data_flag = NULL, value = 'NaN' WHERE series_id = %s AND t = %s",
                     (ids[0], DAY0 + timedelta(hours=5)))
        lo, hi = DAY0, DAY0 + timedelta(days=3)
        days = list(audit_data._stored_days(conn, lo, hi, None, audit_data._history(conn, lo, hi, None)[0]))
        expected = []
        for sid in sorted(ids):
            for d in range(3):
                rows = conn.execute(f"SELECT {', '.join(DIGEST_COLUMNS)} FROM observation WHERE series_id = %s "
                                    "AND t >= %s AND t < %s ORDER BY t",
                                    (sid, DAY0 + timedelta(days=d), DAY0 + timedelta(days=d + 1))).fetchall()
                expected.append((sid, (DAY0 + timedelta(days=d)).date(), len(rows), batch_digest(rows)))
        revised = conn.execute("SELECT DISTINCT series_id, (t AT TIME ZONE 'UTC')::date FROM observation_history"
                               ).fetchall()
        conn.rollback()
    assert sorted(revised) == [(sid, date(2024, 3, 2)) for sid in sorted(ids)]
    # days without superseded versions hash their rows alone; a revised day's versions follow its rows
    assert [d for d in days if d[:2] not in revised] == [e for e in expected if e[:2] not in revised]
    assert all(d[3] != e[3] for d, e in zip(days, expected, strict=True) if d[:2] in revised)


def test_migration_baselines_observations_stored_before_it(platform_env, use_database) -> None:
    """Data written before migration 0014 gets its day states from one chained baseline record, so it is checked."""
    from alembic import command
    from alembic.config import Config

    from ecomon.store import db

    url = _fresh_database(platform_env["database_url"], "ecomon_audit_baseline_test")
    cfg = Config(str(db.Path(db.__file__).with_name("alembic.ini")))
    cfg.attributes["url"] = db.sqlalchemy_url(url)
    command.upgrade(cfg, "0013")
    with db.connect(url) as conn:
        ensure_registry(conn)
        site = conn.execute("SELECT id FROM site WHERE code = 'Dongsi'").fetchone()[0]
        sid = series_ids(conn, pl.DataFrame({"site_id": [site], "parameter": ["a34004"]}), "hour")["series_id"][0]
        conn.execute("SELECT ensure_observation_partitions(%s, %s)", (DAY0, DAY0))
        conn.execute("INSERT INTO observation (series_id, t, value, data_flag, channel, source_id) "
                     "SELECT %s, %s + h * interval '1 hour', h, 'N', 'file', 0 FROM generate_series(0, 29) h",
                     (sid, DAY0))                              # written as the schema of 0013 does
        conn.commit()
    db.migrate(url)
    with psycopg.connect(url) as conn:
        baseline = conn.execute("SELECT actor, detail FROM audit_event WHERE action = 'observation.baseline'"
                                ).fetchall()
        assert [(a, d["rows"], d["days"]) for a, d in baseline] == [("migration:0014", 30, 2)]
        assert audit_data.verify_data(conn).ok
        conn.execute("SET session_replication_role = replica")
        conn.execute("UPDATE observation SET value = 0 WHERE t = %s", (DAY0 + timedelta(hours=2),))
        report = audit_data.verify_data(conn)
    assert [(p.kind, p.day) for p in report.problems] == [("edited", DAY0.date())]
    assert "observation.baseline by migration:0014" in report.problems[0].message
