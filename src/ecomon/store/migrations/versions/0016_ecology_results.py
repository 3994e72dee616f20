"""Stored ecological index (HJ 192-2015) results of ecology sites.

Revision ID: 0016
Revises: 0015
"""

from ecomon.store.sql_migration import sql_steps

revision = "0016"
down_revision = "0015"
upgrade, downgrade = sql_steps(__file__)
