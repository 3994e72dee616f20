"""Provisional states of days still being written, cut at a time, so `audit verify --data` checks open days too.

Revision ID: 0020
Revises: 0019
"""

from ecomon.store.sql_migration import sql_steps

revision = "0020"
down_revision = "0019"
upgrade, downgrade = sql_steps(__file__)
