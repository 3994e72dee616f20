"""Quality: per-test QC flags with history, review and sign-off, interference records, hash-chained audit, alarms.

Revision ID: 0005
Revises: 0004
"""

from ecomon.store.sql_migration import sql_steps

revision = "0005"
down_revision = "0004"
upgrade, downgrade = sql_steps(__file__)
