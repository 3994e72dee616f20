"""Evaluation, second wave: whole-plant permitted totals of enterprises; HJ 663 O3 exception on stored days.

Revision ID: 0011
Revises: 0010
"""

from pathlib import Path

from alembic import op

revision = "0011"
down_revision = "0010"
SQL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    sql = SQL.read_text()
    if any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines()):
        op.execute(sql)


def downgrade() -> None:
    raise RuntimeError("ecomon migrations are forward-only; restore a backup to go back")
