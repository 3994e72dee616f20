"""HJ 212 upward forwarding of decoded packets (SM4, reassembled split sets) and of enterprise outlets.

Revision ID: 0012
Revises: 0011
"""

from pathlib import Path

from alembic import op

revision = "0012"
down_revision = "0011"
SQL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    sql = SQL.read_text()
    if any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines()):
        op.execute(sql)


def downgrade() -> None:
    raise RuntimeError("ecomon migrations are forward-only; restore a backup to go back")
