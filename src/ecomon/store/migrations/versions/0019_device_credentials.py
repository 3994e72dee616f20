"""Device credentials changed in step with the device (1072) and scheduled SM4 rotation (reserved).

Revision ID: 0019
Revises: 0018
"""

from ecomon.store.sql_migration import sql_steps

revision = "0019"
down_revision = "0018"
upgrade, downgrade = sql_steps(__file__)
