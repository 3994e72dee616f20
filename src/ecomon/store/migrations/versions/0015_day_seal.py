"""Day states of live days sealed when the day closes, not recomputed by every append.

Revision ID: 0015
Revises: 0014
"""

from ecomon.store.sql_migration import sql_steps

revision = "0015"
down_revision = "0014"
upgrade, downgrade = sql_steps(__file__)
