"""One lock order for observation writers and the QC worker: the QC queue before the audit chain.

Revision ID: 0017
Revises: 0016
"""

from ecomon.store.sql_migration import sql_steps

revision = "0017"
down_revision = "0016"
upgrade, downgrade = sql_steps(__file__)
