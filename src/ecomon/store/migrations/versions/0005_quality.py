"""Quality: per-test QC flags with history, review and sign-off, interference records, hash-chained audit, alarms.

Revision ID: 0005
Revises: 0004
"""

from pathlib import Path

from alembic import op

revision = "0005"
down_revision = "0004"
SQL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    sql = SQL.read_text()
    if any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines()):
        op.execute(sql)


def downgrade() -> None:
    raise RuntimeError("ecomon migrations are forward-only; restore a backup to go back")
