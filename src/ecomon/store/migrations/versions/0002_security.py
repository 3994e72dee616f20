"""Security: users, sessions, API tokens, login attempts, audit events.

Revision ID: 0002
Revises: 0001
"""

from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute((Path(__file__).parent / "0002_security.sql").read_text())


def downgrade() -> None:
    op.execute("DROP TABLE audit_event, login_attempt, api_token, user_session, app_user")
