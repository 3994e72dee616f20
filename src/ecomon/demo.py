"""`ecomon demo`: the platform on real data in one command (first run loads, later runs reuse)."""

from __future__ import annotations

import asyncio
import csv
import getpass
from importlib import resources
from pathlib import Path

import psycopg
import typer
from rich.console import Console

from ecomon.config import get_settings
from ecomon.ingest.files.importer import import_bytes
from ecomon.ingest.files.mapping import load_mapping
from ecomon.quality import pipeline
from ecomon.registry import catalogue, store
from ecomon.runtime.cli import run_foreground, start_platform
from ecomon.runtime.supervisor import demo_services
from ecomon.store import aggregates
from ecomon.store.db import connect, database_url
from ecomon.web.auth import accounts
from ecomon.web.auth.credentials import random_password

console = Console(soft_wrap=True)
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
        console.print(f"Beijing data {source.name}: imported once, reused afterwards…")
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
        _detect_history(conn)


def _detect_history(conn: psycopg.Connection) -> None:
    """Run the falsification detectors once over the historical data: the QC worker only scans recent weeks,
    so without this the alarm screens of the demo would stay empty."""
    if conn.execute("SELECT EXISTS (SELECT 1 FROM alarm_event)").fetchone()[0]:
        return
    span = conn.execute("SELECT min(t), max(t) + interval '1 hour' FROM observation WHERE channel = 'file'").fetchone()
    if span[0] is None:
        return
    console.print("running the falsification detectors over the historical data (first run only)…")
    found = pipeline.detect(conn, span[0], span[1], actor=DEMO_USER)
    conn.commit()
    console.print(f"{found:,} alarm events for staff to confirm or dismiss")


async def _first_admin(url: str) -> str | None:
    """Create the first administrator with a random password (returned to be printed once); None if one exists."""
    from psycopg import AsyncConnection

    conn = await AsyncConnection.connect(url)
    async with conn:
        if await accounts.has_admin(conn):
            return None
        password = random_password()
        await accounts.create_user(conn, accounts.NewUser("admin", "admin", display_name="系统管理员"), password,
                                   f"setup:{getpass.getuser()}")
        await conn.commit()
        return password


def ensure_admin() -> str | None:
    return asyncio.run(_first_admin(database_url()))


def demo() -> None:
    """演示：启动平台并载入北京真实数据 / start the platform with the real Beijing data and serve the console."""
    engines = start_platform()
    try:
        load_demo_data()
        password = ensure_admin()
    except KeyboardInterrupt:
        # Ctrl-C during the first load: nothing half-written survives (each step is one transaction), so stop
        # the engines too and let the next run start the load again.
        engines.stop()
        console.print("interrupted; engines stopped — `make demo` resumes the load")
        raise typer.Exit(130) from None
    settings = get_settings()
    base = f"http://{settings.http_host}:{settings.http_port}"

    def banner() -> None:
        console.print(f"[bold]公众门户 / portal:[/bold] {base}/   [bold]控制台 / console:[/bold] {base}/console   "
                      f"API: {base}/docs")
        if password:
            console.print(f"[bold]登录 / login:[/bold] admin  [bold]密码 / password:[/bold] {password}")
            console.print("  (只显示这一次，请妥善保存 / shown only now — keep it; "
                          "`.venv/bin/ecomon user reset-password admin` makes a new one)")
        else:
            console.print("[bold]登录 / login:[/bold] admin (password printed at the first run; "
                          "`.venv/bin/ecomon user reset-password admin` makes a new one)")
        console.print(f"data in {settings.home_path}, run by {getpass.getuser()}")

    run_foreground(banner, demo_services(settings))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
