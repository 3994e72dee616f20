"""Query times as the store grows: latest values of 1,000 sites, and one site's one-year hourly series.

For each size (stored observation values; default 1M and 10M, e.g. `--sizes 1M,10M,100M`) a scratch database
`ecomon_bench_query` is built from scratch, fast, in SQL: 1,000 air sites x 6 parameters = 6,000 hourly series,
each holding the last size/6,000 hours before 2026-01-01 (generate_series straight into monthly partitions,
indexed after loading), and the `latest_value` cache. The queried series (site Q0001, PM2.5) always holds at least
the whole year 2025, so both queries return the same rows at every size and only the stored volume grows:

  latest  the API's /api/v1/latest query (web/api/observations.py) over all 1,000 sites: 6,000 rows
  page    the same query as the API pages it (total count and the first 100 rows)
  series  the API's one-site series query for 2025: 8,760 hourly rows

Each query runs warm `--repeat` times (fetching every row, in the binary format the API uses); the median and
95th percentile are printed, and the ratio of each size's median to the smallest size's (flat = about 1.0).
Targets: latest <= 20 ms, series <= 50 ms.

Run: .venv/bin/python bench/query.py [--sizes 1M,10M,100M] [--repeat 30]   (10M: a few minutes; 100M: long)
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import psycopg
from psycopg import sql
from scratch import scratch_database

from ecomon.config import get_settings
from ecomon.registry.catalogue import parameters
from ecomon.registry.store import load_parameters
from ecomon.runtime.engines import Engines
from ecomon.store.db import connect
from ecomon.web.api.observations import _LATEST

DB = "ecomon_bench_query"
SITES = 1_000
PARAMETERS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024")
END = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_HOURS = 8_760
QUERIED = ("Q0001", "a34004")

LATEST_SQL = f"{_LATEST} WHERE true ORDER BY s.code, se.parameter_code, se.interval_kind"
# What the API runs for one page (web/api/common.fetch_page: the total count and the first 100 rows).
LATEST_PAGE_SQL = f"SELECT *, count(*) OVER () AS found_ FROM ({LATEST_SQL}) q_ LIMIT 100 OFFSET 0"
# The API's one-site series query (web/api/observations.site_observations): the series id is resolved first, so
# each monthly partition's primary key yields its rows already in time order (ordered Append, no sort).
SERIES_SQL = """SELECT o.t, o.value, o.data_flag, o.qc_flag, o.review_state, o.version, o.channel
                FROM observation o
                WHERE o.series_id = (SELECT se.id FROM series se JOIN site s ON s.id = se.site_id
                                     WHERE s.code = %s AND se.parameter_code = %s AND se.interval_kind = 'hour')
                  AND o.t >= '2025-01-01T00:00:00Z' AND o.t < '2026-01-01T00:00:00Z' ORDER BY o.t"""


def parse_size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * factor)


def build(conn: psycopg.Connection, size: int) -> int:
    """Registry, series and `size` hourly values; returns the number of observations stored."""
    load_parameters(conn, parameters())
    conn.execute("INSERT INTO region (code, name_zh, level) VALUES ('110000', '北京市', 'province') "
                 "ON CONFLICT DO NOTHING")
    conn.execute("""INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
                    SELECT format('Q%%s', lpad(i::text, 4, '0')), format('压测站%%s', i), 'air', 'urban', 'national',
                           '110000', 'bench'
                    FROM generate_series(1, %s) i""", (SITES,))
    conn.execute("""INSERT INTO series (site_id, parameter_code, interval_kind)
                    SELECT s.id, p, 'hour' FROM site s, unnest(%s::text[]) p ORDER BY s.id, p""",
                 (list(PARAMETERS),))
    hours = -(-size // (SITES * len(PARAMETERS)))
    conn.execute("""CREATE TEMP TABLE span AS
                    SELECT se.id, %(end)s::timestamptz - make_interval(hours =>
                             CASE WHEN s.code = %(site)s AND se.parameter_code = %(param)s
                                  THEN greatest(%(hours)s, %(year)s) ELSE %(hours)s END) AS lo
                    FROM series se JOIN site s ON s.id = se.site_id""",
                 {"end": END, "site": QUERIED[0], "param": QUERIED[1], "hours": hours, "year": YEAR_HOURS})
    first = conn.execute("SELECT date_trunc('month', min(lo)) FROM span").fetchone()[0]
    month = first
    while month < END:
        nxt = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
        name = f"observation_{month:%Y%m}"
        # Loaded unindexed, in key order, then attached: ATTACH builds the primary key in one sort.
        lo, hi = sql.Literal(month), sql.Literal(nxt)
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE observation INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                             "CONSTRAINT load_bounds CHECK (t >= {} AND t < {}))").format(sql.Identifier(name), lo, hi))
        conn.execute(f"""INSERT INTO {name} (series_id, t, value, qc_flag, channel, source_id)
                         SELECT sp.id, g, round((40 + 30 * sin(extract(epoch FROM g) / 86400.0 + sp.id)
                                                 + 10 * random())::numeric, 1), 1, 'bench', 0
                         FROM span sp, generate_series(greatest(sp.lo, %s), least(%s, %s) - interval '1 hour',
                                                       interval '1 hour') g
                         ORDER BY sp.id, g""", (month, nxt, END))
        conn.execute(sql.SQL("ALTER TABLE observation ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
            sql.Identifier(name), lo, hi))
        conn.execute(f"ALTER TABLE {name} DROP CONSTRAINT load_bounds")
        conn.commit()
        month = nxt
    conn.execute("""INSERT INTO latest_value (series_id, t, value, data_flag, qc_flag, review_state)
                    SELECT DISTINCT ON (series_id) series_id, t, value, data_flag, qc_flag, review_state
                    FROM observation WHERE t >= %s - interval '1 hour' ORDER BY series_id, t DESC""", (END,))
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False
    return conn.execute("SELECT count(*) FROM observation").fetchone()[0]


def timed(conn: psycopg.Connection, query: str, args: tuple, repeat: int, expect: int) -> list[float]:
    times = []
    for i in range(repeat + 3):
        started = time.perf_counter()
        rows = conn.cursor(binary=True).execute(query, args).fetchall()  # as the API fetches (api/common.fetch_all)
        if i >= 3:  # the first runs warm the cache and the plan
            times.append((time.perf_counter() - started) * 1000)
        assert len(rows) == expect, (len(rows), expect)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="stored values per run, e.g. 1M,10M,100M")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    engines = Engines(get_settings())
    engines.start()
    base: dict[str, float] = {}
    print(f"{'size':>12} {'build s':>8}  {'query':<7} {'rows':>6} {'p50 ms':>8} {'p95 ms':>8} {'vs first':>8}  target")
    for size in (parse_size(s) for s in args.sizes.split(",")):
        url = scratch_database(engines.database_url(), DB)
        with connect(url) as conn:
            started = time.perf_counter()
            stored = build(conn, size)
            seconds = time.perf_counter() - started
            for name, query, qargs, expect, target in (
                    ("latest", LATEST_SQL, (), SITES * len(PARAMETERS), 20),
                    ("page", LATEST_PAGE_SQL, (), 100, 20),
                    ("series", SERIES_SQL, QUERIED, YEAR_HOURS, 50)):
                times = timed(conn, query, qargs, args.repeat, expect)
                p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
                base.setdefault(name, p50)
                print(f"{stored:>12,} {seconds:>8.0f}  {name:<7} {expect:>6,} {p50:>8.1f} {p95:>8.1f} "
                      f"{p50 / base[name]:>8.2f}  <= {target} ms")
        with psycopg.connect(engines.database_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
