"""Evaluation, second wave: whole-plant permitted totals of enterprises; HJ 663 O3 exception on stored days.

Revision ID: 0011
Revises: 0010
"""

from ecomon.store.sql_migration import sql_steps

revision = "0011"
down_revision = "0010"
upgrade, downgrade = sql_steps(__file__)
