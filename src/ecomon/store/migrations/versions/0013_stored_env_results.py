"""Stored soil, noise and radiation evaluation results.

Revision ID: 0013
Revises: 0012
"""

from ecomon.store.sql_migration import sql_steps

revision = "0013"
down_revision = "0012"
upgrade, downgrade = sql_steps(__file__)
