"""The two steps of an ecomon migration whose change is the SQL file beside it (`NNNN_name.sql`).

Migrations from 0004 on are forward-only: their schema changes carry data (chained audit records, day states,
stored results) that a downgrade could not restore, so going back means restoring a backup.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def sql_steps(migration_file: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """`upgrade` runs the SQL file beside `migration_file` (skipped while it holds only comments: a reserved
    slot); `downgrade` refuses."""
    sql_file = Path(migration_file).with_suffix(".sql")

    def upgrade() -> None:
        from alembic import op

        sql = sql_file.read_text()
        if any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines()):
            op.execute(sql)

    def downgrade() -> None:
        raise RuntimeError("ecomon migrations are forward-only; restore a backup to go back")

    return upgrade, downgrade
