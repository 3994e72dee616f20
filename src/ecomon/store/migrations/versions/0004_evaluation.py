"""National-standard evaluation results (AQI, assessments) with rule set and coverage.

Revision ID: 0004
Revises: 0003
"""

from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
SQL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    sql = SQL.read_text()
    if any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines()):
        op.execute(sql)


def downgrade() -> None:
    raise RuntimeError("ecomon migrations are forward-only; restore a backup to go back")
