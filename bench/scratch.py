"""A scratch database for a benchmark: dropped if it exists, created and migrated on the server of `url`."""

from __future__ import annotations

import psycopg

from ecomon.store.db import connect, migrate


def scratch_database(url: str, name: str) -> str:
    """The URL of a fresh, migrated database `name` beside the database of `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url.rpartition("/")[0] + "/" + name
    migrate(url)
    return url


def air_series_database(url: str, name: str, parameter: tuple[str, str, str], interval: str, sites: int) -> str:
    """A scratch database with `sites` air sites S1..Sn in Beijing, each with one series of `parameter`
    (code, name, unit) at `interval`: the small registry the audit benchmarks write into."""
    url = scratch_database(url, name)
    code, label, unit = parameter
    with connect(url) as conn:
        conn.execute("INSERT INTO region VALUES ('110000', '北京市', 'Beijing', 'province', NULL)")
        conn.execute("INSERT INTO parameter VALUES (%s, %s, %s, 'air', %s, NULL, 0)", (code, label, label, unit))
        conn.execute("""INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
                        SELECT 'S' || i, 'S' || i, 'air', 'urban', 'city', '110000', 'bench'
                        FROM generate_series(1, %s) i""", (sites,))
        conn.execute("INSERT INTO series (site_id, parameter_code, interval_kind) SELECT id, %s, %s FROM site",
                     (code, interval))
        conn.commit()
    return url
