"""Durable HJ 212 writer throughput (reserved for the gateway/writer work).

Revision ID: 0018
Revises: 0017
"""

from ecomon.store.sql_migration import sql_steps

revision = "0018"
down_revision = "0017"
upgrade, downgrade = sql_steps(__file__)
