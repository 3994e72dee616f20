"""Migrations whose change is the SQL file beside them: a slot holding only comments is skipped, any statement
is run, and going back is refused (the schema carries data a downgrade could not restore)."""

from __future__ import annotations

import pytest

from ecomon.store import sql_migration


def test_comment_only_slot_is_skipped_and_statements_run(tmp_path, monkeypatch):
    executed: list[str] = []
    monkeypatch.setattr("alembic.op.execute", executed.append, raising=False)
    slot = tmp_path / "0099_slot.py"
    slot.with_suffix(".sql").write_text("-- reserved\n\n  -- nothing yet\n")
    upgrade, _ = sql_migration.sql_steps(str(slot))
    upgrade()
    assert executed == []
    slot.with_suffix(".sql").write_text("-- one table\nCREATE TABLE t (x int);\n")
    upgrade()
    assert executed == ["-- one table\nCREATE TABLE t (x int);\n"]


def test_downgrade_is_refused(tmp_path):
    _, downgrade = sql_migration.sql_steps(str(tmp_path / "0099_slot.py"))
    with pytest.raises(RuntimeError, match="forward-only"):
        downgrade()
