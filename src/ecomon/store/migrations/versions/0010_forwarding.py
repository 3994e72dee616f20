"""HJ 212 upward forwarding: targets, MN mapping and the ordered store-and-forward queue.

Revision ID: 0010
Revises: 0009
"""

from ecomon.store.sql_migration import sql_steps

revision = "0010"
down_revision = "0009"
upgrade, downgrade = sql_steps(__file__)
