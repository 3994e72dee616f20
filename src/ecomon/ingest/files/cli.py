"""`ecomon import`: load a department's CSV/XLSX file with a column mapping."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ecomon.config import get_settings
from ecomon.ingest.files.importer import ImportSummary, import_bytes
from ecomon.ingest.files.mapping import MappingError, load_mapping
from ecomon.store import aggregates
from ecomon.store.db import connect

console = Console(stderr=True)


def import_command(
    file: Annotated[str, typer.Argument(help="CSV/XLSX file (gzip allowed), or - for standard input")],
    mapping: Annotated[Path, typer.Option("--mapping", "-m",
                                          help="mapping TOML (columns, units, time zone, stations)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and count only; write nothing")] = False,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="where to write the reject report (CSV)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="who imports (recorded in the ingest log)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON on stdout")] = False,
) -> None:
    """导入数据文件 / import a data file; bad rows are reported, never silently dropped."""
    settings = get_settings()
    try:
        spec = load_mapping(mapping)
    except MappingError as exc:
        console.print(f"[red]mapping error:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        console.print(f"[red]cannot read {file}:[/red] {exc.strerror}")
        raise typer.Exit(2) from exc
    name = "stdin" if file == "-" else Path(file).name
    who = user or f"cli:{getpass.getuser()}"
    with connect() as conn, _progress() as progress:
        task = progress.add_task(f"importing {name}", total=0)
        try:
            summary = import_bytes(
                conn, data, name, spec, user=who, archive_root=settings.archive_dir, local_tz=settings.timezone,
                dry_run=dry_run, progress=lambda done, total: progress.update(task, completed=done, total=total))
        except ValueError as exc:
            console.print(f"[red]import failed:[/red] {exc}")
            raise typer.Exit(2) from exc
        if summary.status == "done":
            progress.update(task, description="aggregating")
            aggregates.rebuild_dirty(conn, settings.timezone)
            conn.commit()
    report = _write_rejects(summary, rejects, settings.home_path)
    _print_summary(summary, report, as_json)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} values"),
                    TimeRemainingColumn(), console=console, transient=True)


def _write_rejects(summary: ImportSummary, target: Path | None, home: Path) -> Path | None:
    if summary.rejects is None or summary.rejects.height == 0:
        return None
    if target is None:
        tag = summary.ingest_id if summary.ingest_id else f"dry-run-{summary.sha256[:12]}"
        target = home / "rejects" / f"{tag}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    summary.rejects.write_csv(target)
    return target


def _print_summary(summary: ImportSummary, report: Path | None, as_json: bool) -> None:
    data = summary.as_dict() | {"reject_report": str(report) if report else None}
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    if summary.status == "skipped":
        console.print(f"[yellow]{summary.name} was already imported (ingest {summary.ingest_id}); nothing to do[/yellow]")
        return
    label = "dry run (nothing written)" if summary.status == "dry-run" else f"ingest {summary.ingest_id}"
    console.print(f"[bold]{summary.name}[/bold]: {label} in {summary.seconds:.1f}s")
    console.print(f"  rows {summary.rows_total:,}, rows with rejects {summary.rows_rejected:,}")
    console.print(f"  values accepted {summary.values_accepted:,} (flagged suspect {summary.values_flagged:,}, "
                  f"revised {summary.values_changed:,}), rejected {summary.values_rejected:,}")
    if summary.sites_registered:
        console.print(f"  new sites registered: {', '.join(summary.sites_registered)}")
    if report:
        console.print(f"  reject report: {report}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
