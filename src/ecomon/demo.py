"""`ecomon demo`: the platform on real data in one command (first run loads, later runs reuse)."""

from __future__ import annotations

import csv
import getpass
from importlib import resources
from pathlib import Path

import typer
from rich.console import Console

from ecomon.config import get_settings
from ecomon.ingest.files.importer import import_bytes
from ecomon.ingest.files.mapping import load_mapping
from ecomon.registry import catalogue, store
from ecomon.runtime.cli import run_foreground, start_platform
from ecomon.store import aggregates
from ecomon.store.db import connect

console = Console()
DEMO_USER = "demo-loader"


def demo_data_dir() -> Path:
    """The vendored Beijing data (repository checkout) — the demo's real data set."""
    here = Path(str(resources.files("ecomon"))).resolve()
    for base in (Path.cwd(), *here.parents):
        candidate = base / "data" / "beijing-air"
        if (candidate / "mapping.toml").exists():
            return candidate
    raise FileNotFoundError("data/beijing-air not found: run the demo from the repository checkout")


def load_demo_data() -> None:
    """Registry catalogues, the 12 Beijing stations and three years of hourly data; idempotent."""
    settings = get_settings()
    data = demo_data_dir()
    with connect() as conn:
        if conn.execute("SELECT count(*) FROM region").fetchone()[0] == 0:
            store.load_regions(conn, catalogue.regions())
            store.load_parameters(conn, catalogue.parameters())
            with (data / "registry-sites.csv").open(encoding="utf-8") as fh:
                store.upsert_sites(conn, csv.DictReader(fh), DEMO_USER)
            conn.commit()
            console.print("registry loaded: regions, parameters, 12 Beijing stations")
        source = data / "hourly-2013-03_2016-02.csv.gz"
        console.print(f"importing {source.name} (first run only; about a minute)…")
        summary = import_bytes(conn, source.read_bytes(), source.name, load_mapping(data / "mapping.toml"),
                               user=DEMO_USER, archive_root=settings.archive_dir, local_tz=settings.timezone)
        if summary.status == "skipped":
            console.print("Beijing data already imported — reusing it")
        else:
            console.print(f"imported {summary.values_accepted:,} values from {summary.rows_total:,} rows "
                          f"({summary.values_flagged:,} flagged, {summary.values_rejected:,} rejected) "
                          f"in {summary.seconds:.0f}s")
        days = aggregates.rebuild_dirty(conn, settings.timezone)
        conn.commit()
        if days:
            console.print(f"aggregates built for {days:,} station-parameter-days")


def demo() -> None:
    """演示：启动平台并载入北京真实数据 / start the platform with the real Beijing data and serve the console."""
    start_platform()
    load_demo_data()
    settings = get_settings()

    def banner() -> None:
        console.print(f"[bold]控制台 / console:[/bold] http://{settings.http_host}:{settings.http_port}/  "
                      f"API docs: http://{settings.http_host}:{settings.http_port}/docs  "
                      f"(run by {getpass.getuser()}; data in {settings.home_path})")

    run_foreground(banner)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
