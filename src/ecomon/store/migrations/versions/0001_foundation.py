"""Foundation schema: regions, registry, parameters, targets, raw inputs, observations, aggregates.

Revision ID: 0001
Revises:
"""

from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.execute((Path(__file__).parent / "0001_foundation.sql").read_text())


def downgrade() -> None:
    raise RuntimeError("the foundation schema is not downgradable; restore a backup instead")
