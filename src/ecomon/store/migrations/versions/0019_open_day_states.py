"""Provisional states of days still being written, cut at a time, so `audit verify --data` checks open days too.

Revision ID: 0019
Revises: 0018
"""

from ecomon.store.sql_migration import sql_steps

revision = "0019"
down_revision = "0018"
upgrade, downgrade = sql_steps(__file__)
