"""Device credentials changed in step with the device (1072) and scheduled SM4 rotation.

Revision ID: 0018
Revises: 0017
"""

from ecomon.store.sql_migration import sql_steps

revision = "0018"
down_revision = "0017"
upgrade, downgrade = sql_steps(__file__)
