"""HJ 212 upward forwarding of decoded packets (SM4, reassembled split sets) and of enterprise outlets.

Revision ID: 0012
Revises: 0011
"""

from ecomon.store.sql_migration import sql_steps

revision = "0012"
down_revision = "0011"
upgrade, downgrade = sql_steps(__file__)
