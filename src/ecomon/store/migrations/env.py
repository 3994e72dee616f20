"""Alembic environment: the URL comes from ecomon's settings (embedded or ECOMON_DATABASE_URL)."""

from alembic import context
from sqlalchemy import create_engine, pool

from ecomon.store.db import sqlalchemy_url

url = context.config.attributes.get("url") or sqlalchemy_url()
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
