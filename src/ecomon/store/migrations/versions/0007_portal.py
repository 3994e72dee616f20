"""Public portal and open data: API-key sign-up, rate limits, disclosure, department pushes.

Revision ID: 0007
Revises: 0006
"""

from ecomon.store.sql_migration import sql_steps

revision = "0007"
down_revision = "0006"
upgrade, downgrade = sql_steps(__file__)
