"""`ecomon registry`: load catalogues, register sites, check construction targets and coverage."""

from __future__ import annotations

import csv
import getpass
from pathlib import Path

import typer
from rich.console import Console

from ecomon.registry import store
from ecomon.store.db import connect

console = Console()
registry_app = typer.Typer(help="监测网络登记 / monitoring-network registry.", no_args_is_help=True)


@registry_app.command("load")
def load_catalogues(
    regions: Path = typer.Option(None, help="GB/T 2260 regions CSV (default: the bundled catalogue)"),
) -> None:
    """Load regions, parameters (HJ 212 codes), aliases and the bundled targets/coverage rules."""
    with connect() as conn:
        n_regions = store.load_regions(conn, regions.read_text(encoding="utf-8") if regions else
                                       store.bundled("regions.csv"))
        n_params = store.load_parameters(conn, store.bundled("parameters.csv"), store.bundled("aliases.csv"))
        conn.commit()
    console.print(f"regions {n_regions}, parameters {n_params}")


@registry_app.command("sites")
def import_sites(
    file: Path = typer.Argument(..., help="CSV with " + ",".join(store.SITE_COLUMNS)),
    user: str = typer.Option(None, help="who registers (recorded)"),
) -> None:
    """Register or update monitoring sites from a CSV file (by site code)."""
    with file.open(encoding="utf-8") as fh, connect() as conn:
        try:
            new, updated = store.upsert_sites(conn, csv.DictReader(fh), user or f"cli:{getpass.getuser()}")
        except ValueError as exc:
            console.print(f"[red]{file}: {exc}[/red]")
            raise typer.Exit(2) from exc
        conn.commit()
    console.print(f"sites: {new} new, {updated} updated")


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
