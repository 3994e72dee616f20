"""HJ 212 session layer: device commands, gap re-send requests, upward forwarding queues.

Revision ID: 0006
Revises: 0005
"""

from pathlib import Path

from alembic import op

revision = "0006"
down_revision = "0005"
SQL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    sql = SQL.read_text()
    if any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines()):
        op.execute(sql)


def downgrade() -> None:
    raise RuntimeError("ecomon migrations are forward-only; restore a backup to go back")
