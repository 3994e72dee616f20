"""`ecomon registry`: load catalogues, register sites, check construction targets and coverage."""

from __future__ import annotations

import csv
import getpass
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ecomon.registry import catalogue, coverage, store
from ecomon.store.db import connect

console = Console()
registry_app = typer.Typer(help="监测网络登记 / monitoring-network registry.", no_args_is_help=True)


@registry_app.command("load")
def load_catalogues(
    regions: Path = typer.Option(None, help="GB/T 2260 regions CSV (default: the bundled catalogue)"),
) -> None:
    """Load regions (GB/T 2260), parameters (HJ 212 factor codes) and their aliases."""
    try:
        region_table = (catalogue.parse_regions(regions.read_text(encoding="utf-8"), str(regions)) if regions
                        else catalogue.regions())
    except catalogue.CatalogueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    with connect() as conn:
        n_regions = store.load_regions(conn, region_table)
        n_params = store.load_parameters(conn, catalogue.parameters())
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
        except (ValueError, KeyError) as exc:
            console.print(f"[red]{file}: {exc}[/red]")
            raise typer.Exit(2) from exc
        conn.commit()
    console.print(f"sites: {new} new, {updated} updated")


@registry_app.command("coverage")
def coverage_command(
    plan: str = typer.Option("qingyuan", help="bundled plan (qingyuan, chongqing)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """建设目标与覆盖规则核查 / construction targets vs current counts, and coverage-rule violations."""
    try:
        the_plan = coverage.bundled_plan(plan)
    except (catalogue.CatalogueError, FileNotFoundError) as exc:
        console.print(f"[red]plan {plan!r}: {exc}[/red]")
        raise typer.Exit(2) from exc
    with connect() as conn:
        report = coverage.evaluate(the_plan.targets, the_plan.rules, store.site_counts(conn), catalogue.regions())
    if as_json:
        print(json.dumps(coverage_report_json(the_plan, report), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{the_plan.title_zh} — 建设目标 / targets ({the_plan.target_year})")
    for col in ("目标 target", "区域 region", "目标数", "现有 current", "缺口 gap", "达成 met"):
        table.add_column(col)
    for r in report.targets:
        table.add_row(r.target.note_zh or r.target.id, r.target.region, str(r.target.target), str(r.current),
                      str(r.gap), "✔" if r.met else "✘")
    console.print(table)
    if report.violations:
        console.print(f"[red]覆盖规则违反 / coverage violations: {len(report.violations)}[/red]")
        for v in report.violations:
            console.print(f"  {v.region} {v.region_name_zh}: {v.rule.text_zh} — 需要 {v.required}, 现有 {v.found}")
    else:
        console.print("[green]覆盖规则全部满足 / all coverage rules met[/green]")


def coverage_report_json(plan: coverage.Plan, report: coverage.CoverageReport) -> dict:
    return {
        "plan": plan.id,
        "all_met": report.all_met,
        "targets": [{"id": r.target.id, "element": r.target.element, "site_types": list(r.target.site_types),
                     "region": r.target.region, "year": r.target.year, "target": r.target.target,
                     "current": r.current, "gap": r.gap, "met": r.met, "note_zh": r.target.note_zh}
                    for r in report.targets],
        "violations": [{"rule": v.rule.id, "region": v.region, "region_name_zh": v.region_name_zh,
                        "required": v.required, "found": v.found, "text_zh": v.rule.text_zh}
                       for v in report.violations],
    }


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
