"""A scratch database for a benchmark: dropped if it exists, created and migrated on the server of `url`."""

from __future__ import annotations

import psycopg

from ecomon.store.db import migrate


def scratch_database(url: str, name: str) -> str:
    """The URL of a fresh, migrated database `name` beside the database of `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url.rpartition("/")[0] + "/" + name
    migrate(url)
    return url
