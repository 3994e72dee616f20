"""Shared set-up for foundation tests: catalogues, the Beijing stations, and slices of the real file."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable
from pathlib import Path

import psycopg

from ecomon.ingest.files.importer import ImportSummary, import_bytes
from ecomon.ingest.files.mapping import load_mapping
from ecomon.registry import catalogue, store

ROOT = Path(__file__).resolve().parents[2]
BEIJING = ROOT / "data" / "beijing-air"
HOURLY = BEIJING / "hourly-2013-03_2016-02.csv.gz"


def ensure_registry(conn: psycopg.Connection) -> None:
    if conn.execute("SELECT count(*) FROM site").fetchone()[0]:
        return
    store.load_regions(conn, catalogue.regions())
    store.load_parameters(conn, catalogue.parameters())
    with (BEIJING / "registry-sites.csv").open(encoding="utf-8") as fh:
        store.upsert_sites(conn, csv.DictReader(fh), "test")
    conn.commit()


def beijing_lines(n: int) -> list[str]:
    """Header plus the first n data lines of the real hourly file."""
    with gzip.open(HOURLY, "rt", encoding="utf-8") as fh:
        return [next(fh) for _ in range(n + 1)]


def station_hours(stations: Iterable[str], hours: int) -> bytes:
    """Header plus the first `hours` rows of each station (the file's real rows, in file order)."""
    counts = dict.fromkeys(stations, 0)
    out = io.StringIO()
    with gzip.open(HOURLY, "rt", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        for row in reader:
            if row[-1] in counts and counts[row[-1]] < hours:
                counts[row[-1]] += 1
                writer.writerow(row)
            if all(c == hours for c in counts.values()):
                break
    return out.getvalue().encode()


def run_import(conn: psycopg.Connection, text: str, tmp: Path, name: str = "slice.csv") -> ImportSummary:
    return import_bytes(conn, text.encode("utf-8"), name, load_mapping(BEIJING / "mapping.toml"), user="test",
                        archive_root=tmp / "archive", local_tz="Asia/Shanghai")
