"""HJ 212 gateway: raw_frame archive, committed bus batches, device_state.

Revision ID: 0003
Revises: 0002
"""

from pathlib import Path

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute((Path(__file__).parent / "0003_gateway.sql").read_text())


def downgrade() -> None:
    op.execute("DROP TABLE device_state; DROP TABLE gateway_batch; DROP TABLE raw_frame")
