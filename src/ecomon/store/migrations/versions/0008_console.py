"""Staff console: registry edits with history and import jobs.

Revision ID: 0008
Revises: 0007
"""

from ecomon.store.sql_migration import sql_steps

revision = "0008"
down_revision = "0007"
upgrade, downgrade = sql_steps(__file__)
