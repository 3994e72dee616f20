"""A small real data set for page tests: the Beijing registry and the last two days of the hourly file.

Loaded into a database of its own on the session's server, so other areas' data never change the pages.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _fresh_database

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "beijing-air"
LAST_DAYS = ("2016,2,28,", "2016,2,29,")


def last_days_csv() -> bytes:
    """Header plus the rows of the last two local days of the file (all twelve stations)."""
    with gzip.open(DATA / "hourly-2013-03_2016-02.csv.gz", "rt", encoding="utf-8") as fh:
        lines = [line for index, line in enumerate(fh) if index == 0 or line.startswith(LAST_DAYS)]
    return "".join(lines).encode()


def rows_of(station: str) -> list[dict[str, str]]:
    return [row for row in csv.DictReader(last_days_csv().decode().splitlines()) if row["station"] == station]


def last_days_database(base_url: str, name: str, archive: Path) -> str:
    """A fresh, migrated database `name` on the server of `base_url` with the registry and the last two days."""
    from ecomon.ingest.files.importer import import_bytes
    from ecomon.ingest.files.mapping import load_mapping
    from ecomon.registry import catalogue, store
    from ecomon.store.db import connect, migrate

    url = _fresh_database(base_url, name)
    migrate(url)
    with connect(url) as conn:
        store.load_regions(conn, catalogue.regions())
        store.load_parameters(conn, catalogue.parameters())
        with (DATA / "registry-sites.csv").open(encoding="utf-8") as fh:
            store.upsert_sites(conn, csv.DictReader(fh), "test")
        summary = import_bytes(conn, last_days_csv(), "last-days.csv", load_mapping(DATA / "mapping.toml"),
                               user="test", archive_root=archive, local_tz="Asia/Shanghai")
        assert summary.status == "done", summary
        conn.commit()
    return url


@pytest.fixture(scope="module")
def portal_db(platform_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = last_days_database(platform_env["database_url"], "ecomon_web_pages", tmp_path_factory.mktemp("archive"))
    yield url
