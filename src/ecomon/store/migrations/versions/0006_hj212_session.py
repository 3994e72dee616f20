"""HJ 212 session layer: device commands, gap re-send requests, upward forwarding queues.

Revision ID: 0006
Revises: 0005
"""

from ecomon.store.sql_migration import sql_steps

revision = "0006"
down_revision = "0005"
upgrade, downgrade = sql_steps(__file__)
