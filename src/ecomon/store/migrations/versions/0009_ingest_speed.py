"""Ingest speed: storage and index changes for fast bulk merge.

Revision ID: 0009
Revises: 0008
"""

from ecomon.store.sql_migration import sql_steps

revision = "0009"
down_revision = "0008"
upgrade, downgrade = sql_steps(__file__)
