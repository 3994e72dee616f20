"""Signed checkpoints: the installation's Ed25519 key signs every checkpoint; an exported checkpoint verifies with
only the public key file; forged or altered checkpoints and signatures, keys slipped into the key table and a
retired key signing are refused; after a key rotation the older checkpoints stay verifiable."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from ecomon.cli import app
from ecomon.quality import audit, audit_keys
from tests.conftest import _fresh_database

runner = CliRunner()


@pytest.fixture()
def signing_db(platform_env, use_database, monkeypatch, tmp_path) -> str:
    """A fresh database with 5 chained records, and an installation home of its own (no key yet)."""
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_audit_signing_test")
    migrate(url)
    with connect(url) as conn:
        for i in range(5):
            audit.append(conn, f"user{i}", "login.ok", f"user{i}", {"n": i})
        conn.commit()
    monkeypatch.setenv("ECOMON_HOME", str(tmp_path / "home"))
    use_database(url)
    return url


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def _tamper(url: str, *statements: str, params: tuple = ()) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")     # bypass append-only triggers, as an attacker
        for sql in statements:
            conn.execute(sql, params or None)


def test_key_is_created_once_private_0600_public_registered(signing_db, tmp_path) -> None:
    code, out = _run("checkpoint")
    assert code == 0, out
    secrets = tmp_path / "home" / "secrets"
    private = secrets / audit_keys.PRIVATE_FILE
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600 and stat.S_IMODE(os.stat(secrets).st_mode) == 0o700
    key = audit_keys.read_public_key(secrets / audit_keys.PUBLIC_FILE)
    with psycopg.connect(signing_db) as conn:
        rows = conn.execute("SELECT fingerprint, public_key FROM audit_signing_key").fetchall()
        chained = conn.execute("SELECT target FROM audit_event WHERE action = 'audit.key.register'").fetchall()
        signed = conn.execute("SELECT key_fingerprint, octet_length(signature) FROM audit_checkpoint").fetchall()
    assert rows == [(audit_keys.fingerprint(key), audit_keys.raw_public(key))]
    assert chained == [(f"key:{rows[0][0]}",)] and signed == [(rows[0][0], 64)]
    before = private.read_bytes()
    _run("verify")
    with psycopg.connect(signing_db) as conn:
        audit.append(conn, "user9", "login.ok", "user9")
        conn.commit()
    assert _run("checkpoint")[0] == 0 and private.read_bytes() == before      # the same key signs again
    code, out = _run("verify")
    assert code == 0 and "2 signature(s) valid" in out, out


def test_exported_checkpoint_verifies_with_only_the_public_key_file(signing_db, tmp_path) -> None:
    exported, pub = tmp_path / "outside" / "checkpoints.jsonl", tmp_path / "outside" / "ecomon-audit.pub"
    exported.parent.mkdir()
    assert _run("checkpoint", "--export", str(exported))[0] == 0
    assert _run("public-key", "--output", str(pub))[0] == 0
    code, out = _run("verify", "--checkpoint", str(exported), "--public-key", str(pub))
    assert code == 0 and "with the given public key" in out, out
    # a single pretty-printed JSON object is accepted as well
    single = tmp_path / "outside" / "one.json"
    single.write_text(json.dumps(json.loads(exported.read_text().splitlines()[0]), indent=2))
    assert _run("verify", "--checkpoint", str(single), "--public-key", str(pub))[0] == 0
    # a superuser swaps the database's copy of the key: the exported checkpoint still verifies with the key file,
    # and the swapped key is named (no chained registration of it)
    _tamper(signing_db, "UPDATE audit_signing_key SET public_key = %s",
            params=(audit_keys.raw_public(Ed25519PrivateKey.generate().public_key()),))
    code, out = _run("verify", "--checkpoint", str(exported), "--public-key", str(pub))
    assert code == 1 and "(signature)" in out and "registered without its chained" in out, out
    assert "exported checkpoint" not in out


@pytest.mark.parametrize("field", ["upto_seq", "merkle_root", "created_at", "signature"])
def test_altered_exported_checkpoint_is_refused(signing_db, tmp_path, field) -> None:
    exported, pub = tmp_path / "cp.jsonl", tmp_path / "key.pub"
    _run("checkpoint", "--export", str(exported))
    _run("public-key", "--output", str(pub))
    cp = json.loads(exported.read_text())
    cp[field] = {"upto_seq": 3, "merkle_root": "00" * 32, "created_at": "2020-01-01T00:00:00.000000Z",
                 "signature": "11" * 64}[field]
    exported.write_text(json.dumps(cp) + "\n")
    code, out = _run("verify", "--checkpoint", str(exported), "--public-key", str(pub))
    assert code == 1 and "(signature)" in out and "does not verify with the given public key" in out, out


def test_checkpoint_of_another_key_is_refused_by_the_outside_auditor(signing_db, tmp_path) -> None:
    exported, other = tmp_path / "cp.jsonl", tmp_path / "other.pub"
    _run("checkpoint", "--export", str(exported))
    other.write_bytes(audit_keys.public_pem(Ed25519PrivateKey.generate().public_key()))
    code, out = _run("verify", "--checkpoint", str(exported), "--public-key", str(other))
    assert code == 1 and "not by the given public key" in out


def _forged_checkpoint(conn: psycopg.Connection, private: Ed25519PrivateKey, fp: str, at: datetime) -> None:
    """A checkpoint over the current records, signed by `private`, stored behind the application's back."""
    records = audit.load_records(conn)
    root = audit.merkle_root([r.hash for r in records])
    cp = audit.Checkpoint(records[-1].seq, records[-1].hash.hex(), root.hex(), audit_keys.stamp(at), "mallory", fp)
    conn.execute("SET session_replication_role = replica")
    conn.execute("INSERT INTO audit_checkpoint (upto_seq, head_hash, merkle_root, created_at, created_by, "
                 "key_fingerprint, signature) VALUES (%s, %s, %s, %s, 'mallory', %s, %s)",
                 (cp.upto_seq, records[-1].hash, root, at, fp, private.sign(cp.message())))
    conn.commit()


def test_forged_stored_checkpoints_are_refused(signing_db) -> None:
    assert _run("checkpoint")[0] == 0
    # 1. a key slipped into the key table (no chained registration) signing a checkpoint
    mallory = Ed25519PrivateKey.generate()
    fp = audit_keys.fingerprint(mallory.public_key())
    with psycopg.connect(signing_db) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("INSERT INTO audit_signing_key (fingerprint, public_key, created_at, created_by) "
                     "VALUES (%s, %s, now(), 'mallory')", (fp, audit_keys.raw_public(mallory.public_key())))
        _forged_checkpoint(conn, mallory, fp, datetime.now(UTC))
    code, out = _run("verify")
    assert code == 1 and "(signature)" in out and "without its chained" in out, out


def test_altered_or_unsigned_stored_checkpoint_is_refused(signing_db) -> None:
    assert _run("checkpoint")[0] == 0
    _tamper(signing_db, "UPDATE audit_checkpoint SET signature = overlay(signature PLACING '\\xff' FROM 1)")
    code, out = _run("verify")
    assert code == 1 and "does not verify with registered key" in out, out
    _tamper(signing_db, "UPDATE audit_checkpoint SET signature = NULL, key_fingerprint = NULL")
    code, out = _run("verify")
    assert code == 1 and "unsigned" in out, out


def test_rotation_keeps_old_checkpoints_verifiable_and_refuses_a_retired_key(signing_db, tmp_path) -> None:
    from ecomon.store.db import connect

    home = tmp_path / "home"
    with connect(signing_db) as conn:
        first = audit.checkpoint(conn, "ops", home)
        conn.commit()
        retired = audit_keys.load_private(home)
        old, new = audit_keys.rotate(conn, home, "ops")
        conn.commit()
        assert first is not None and old == first.key_fingerprint and new != old
        assert audit_keys.fingerprint(audit_keys.load_private(home).public_key()) == new
        audit.append(conn, "user7", "login.ok", "user7")
        second = audit.checkpoint(conn, "ops", home)
        conn.commit()
        assert second is not None and second.key_fingerprint == new
        report = audit.verify(conn)
        assert report.ok and report.signed == 2, report.problem
        # the retired key (e.g. a stolen backup) signs a new checkpoint: dated after its term, refused
        audit.append(conn, "user8", "login.ok", "user8")
        conn.commit()
        _forged_checkpoint(conn, retired, old, datetime.now(UTC))
        report = audit.verify(conn)
    assert report.problem is not None and report.problem.kind == "signature"
    assert "outside the term" in report.problem.message


def test_signer_refuses_a_key_that_is_not_the_registered_one(signing_db, tmp_path) -> None:
    from ecomon.store.db import connect

    with connect(signing_db) as conn:
        audit.checkpoint(conn, "ops", tmp_path / "a")
        conn.commit()
        audit.append(conn, "user7", "login.ok", "user7")
        with pytest.raises(audit_keys.SigningKeyError, match="rotate-key"):
            audit.checkpoint(conn, "ops", tmp_path / "b")      # another installation without the key
        conn.rollback()
        audit_keys.rotate(conn, tmp_path / "b", "ops")         # … registers its own: now "a" may not sign
        conn.commit()
        with pytest.raises(audit_keys.SigningKeyError, match="not the database's active key"):
            audit.checkpoint(conn, "ops", tmp_path / "a")
