"""The audit chain: logins, registry and observation batches are chained; `ecomon audit verify` recomputes it and
names each kind of tampering done behind the application's back (triggers bypassed as a database superuser)."""

from __future__ import annotations

import hashlib
import json

import psycopg
import pytest
from typer.testing import CliRunner

from ecomon.cli import app
from ecomon.quality import audit
from tests.conftest import _fresh_database

runner = CliRunner()


@pytest.fixture()
def chain_db(platform_env, use_database) -> str:
    """A fresh database whose chain holds 10 application records (plus registry records, none here)."""
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_quality_audit_test")
    migrate(url)
    with connect(url) as conn:
        for i in range(10):
            audit.append(conn, f"user{i}", "login.ok", f"user{i}", {"n": i, "note": "登录"}, "10.0.0.1")
        conn.commit()
    use_database(url)
    return url


def _tamper(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")     # bypass append-only triggers, as an attacker
        for sql in statements:
            conn.execute(sql)


def _verify(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_intact_chain_verifies_and_checks_python_against_sql(chain_db) -> None:
    code, out = _verify()
    assert code == 0 and "10 records" in out
    with psycopg.connect(chain_db) as conn:
        rows = conn.execute("SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == list(range(1, 11))
    assert rows[0][1] == bytes(32) and all(rows[i][1] == rows[i - 1][2] for i in range(1, 10))


def test_application_cannot_change_or_delete_records(chain_db) -> None:
    with psycopg.connect(chain_db) as conn:
        for sql in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with pytest.raises(psycopg.errors.RaiseException):
                conn.execute(sql)
            conn.rollback()


@pytest.mark.parametrize(("kind", "statements", "seq"), [
    ("edited", ["UPDATE audit_event SET actor = 'mallory' WHERE seq = 5"], 5),
    ("edited", ["UPDATE audit_event SET detail = '{\"n\": 4, \"note\": \"改\"}' WHERE seq = 5"], 5),
    ("deleted", ["DELETE FROM audit_event WHERE seq = 5"], 6),
    ("deleted", ["DELETE FROM audit_event WHERE seq = 10"], 10),
    ("reordered", ["UPDATE audit_event SET seq = -5 WHERE seq = 5", "UPDATE audit_event SET seq = 5 WHERE seq = 6",
                   "UPDATE audit_event SET seq = 6 WHERE seq = -5"], 5),
    ("inserted", ["UPDATE audit_event SET seq = seq + 100 WHERE seq >= 5",
                  "UPDATE audit_event SET seq = seq - 99 WHERE seq >= 105",
                  # a well-formed record with a correct hash over the previous record, slipped in as seq 5
                  ("INSERT INTO audit_event (at, actor, action, target, detail, seq, prev_hash, hash) "
                  "SELECT at, 'mallory', 'login.ok', 'mallory', '{}', 5, hash, "
                  "sha256(hash || audit_payload(at, 'mallory', 'login.ok', 'mallory', '{}', NULL)) "
                  "FROM audit_event WHERE seq = 4")], 5),
    ("inserted", [("INSERT INTO audit_event (at, actor, action, detail, seq, prev_hash, hash) "
                  "SELECT now(), 'mallory', 'login.ok', '{}', 11, hash, "
                  "sha256(hash || audit_payload(now(), 'mallory', 'login.ok', NULL, '{}', NULL)) "
                  "FROM audit_event WHERE seq = 10")], 11),
])
def test_verify_names_each_tampering(chain_db, kind, statements, seq) -> None:
    _tamper(chain_db, *statements)
    code, out = _verify()
    assert code == 1, out
    assert f"({kind})" in out
    if seq is not None:
        assert f"seq {seq}" in out, out


def test_rewritten_chain_is_caught_by_exported_checkpoint(chain_db, tmp_path) -> None:
    exported = tmp_path / "checkpoints.jsonl"
    result = runner.invoke(app, ["audit", "checkpoint", "--export", str(exported)])
    # the first checkpoint registers the installation's signing key (a chained record) and covers it too
    assert result.exit_code == 0 and json.loads(exported.read_text().splitlines()[0])["upto_seq"] == 11
    assert _verify("--checkpoints", str(exported))[0] == 0
    # a superuser edits record 3, re-hashes the whole chain and removes the stored checkpoints
    _tamper(chain_db, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 3", "DELETE FROM audit_checkpoint", """
        DO $$ DECLARE r record; h bytea := '\\x0000000000000000000000000000000000000000000000000000000000000000';
        BEGIN FOR r IN SELECT * FROM audit_event ORDER BY seq LOOP
            UPDATE audit_event SET prev_hash = h, hash = sha256(h || audit_payload(r.at, r.actor, r.action,
                r.target, r.detail, r.ip)) WHERE id = r.id RETURNING hash INTO h;
        END LOOP; UPDATE audit_head SET hash = h; END $$""")
    assert _verify()[0] == 0                      # the chain alone is self-consistent again …
    code, out = _verify("--checkpoints", str(exported))
    assert code == 1 and "(checkpoint)" in out    # … but not with the checkpoint kept outside


def test_merkle_root_matches_rfc6962_split() -> None:
    def rfc(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return hashlib.sha256(b"\x00" + leaves[0]).digest()
        k = 1 << (len(leaves) - 1).bit_length() - 1
        return hashlib.sha256(b"\x01" + rfc(leaves[:k]) + rfc(leaves[k:])).digest()

    for n in (1, 2, 3, 5, 7, 8, 13, 100):
        leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
        assert audit.merkle_root(leaves) == rfc(leaves)


def test_logins_and_registry_changes_are_chained(qworld, qclient, qdb) -> None:
    qdb.execute("UPDATE site SET name_en = 'Dongsi (renamed)', updated_by = 'q_centre' WHERE code = 'Dongsi'")
    qdb.commit()
    qclient.post("/api/v1/auth/login", json={"username": "q_reviewer", "password": "wrong password"})
    actions = [r[0] for r in qdb.execute("SELECT action FROM audit_event ORDER BY seq DESC LIMIT 5").fetchall()]
    assert "site.update" in actions and "login.failed" in actions
    detail = qdb.execute("SELECT actor, detail FROM audit_event WHERE action = 'site.update' ORDER BY seq DESC "
                         "LIMIT 1").fetchone()
    assert detail[0] == "q_centre" and detail[1]["after"]["name_en"] == "Dongsi (renamed)"
    report = audit.verify(qdb)
    assert report.ok, report.problem
