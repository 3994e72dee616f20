"""National-standard evaluation results (AQI, assessments) with rule set and coverage.

Revision ID: 0004
Revises: 0003
"""

from ecomon.store.sql_migration import sql_steps

revision = "0004"
down_revision = "0003"
upgrade, downgrade = sql_steps(__file__)
