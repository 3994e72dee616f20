"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""

from ecomon.store.sql_migration import sql_steps

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
upgrade, downgrade = sql_steps(__file__)   # the change is the .sql file of the same name
