"""`ecomon audit …`: verify the hash-chained audit log and take/export Merkle checkpoints."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from ecomon.quality import audit
from ecomon.store.db import connect

audit_app = typer.Typer(help="审计日志（防篡改）/ tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command(
    checkpoints: Annotated[Path | None, typer.Option(
        "--checkpoints", exists=True, dir_okay=False,
        help="exported checkpoints (JSON lines) kept outside the database")] = None,
) -> None:
    """校验审计链 / recompute the chain; name the first broken, deleted, inserted or reordered record."""
    try:
        exported = audit.read_exported(checkpoints) if checkpoints else []
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    with connect() as conn:
        report = audit.verify(conn, exported)
    if report.problem is not None:
        p = report.problem
        typer.echo(f"AUDIT CHAIN BROKEN ({p.kind}): {p.message}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {report.records} records, head seq {report.head_seq}, "
               f"{report.checkpoints} checkpoint(s) match")


@audit_app.command("checkpoint")
def checkpoint_command(
    export: Annotated[Path | None, typer.Option(
        "--export", dir_okay=False, help="write all checkpoints as JSON lines to this file")] = None,
    user: str | None = typer.Option(None, "--user", help="who takes the checkpoint (default: cli:<login>)"),
) -> None:
    """生成默克尔检查点 / store a Merkle checkpoint over all records so far; optionally export all checkpoints."""
    with connect() as conn:
        try:
            cp = audit.checkpoint(conn, user or f"cli:{getpass.getuser()}")
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        conn.commit()
        if cp is None:
            typer.echo("no new records since the last checkpoint")
        else:
            typer.echo(f"checkpoint: {cp.upto_seq} records, root {cp.merkle_root}")
        if export is not None:
            n = audit.export(conn, export)
            typer.echo(f"{n} checkpoint(s) → {export}")


def register(app: typer.Typer) -> None:
    """Attach `ecomon audit …` to the root app."""
    app.add_typer(audit_app, name="audit")
