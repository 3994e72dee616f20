"""Signed audit checkpoints and observation digest verification.

Revision ID: 0014
Revises: 0013
"""

from ecomon.store.sql_migration import sql_steps

revision = "0014"
down_revision = "0013"
upgrade, downgrade = sql_steps(__file__)
