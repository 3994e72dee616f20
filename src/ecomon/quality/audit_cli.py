"""`ecomon audit …`: verify the hash-chained audit log and the observations it covers; take, sign and export
Merkle checkpoints; show and rotate the installation's signing key."""

from __future__ import annotations

import getpass
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from ecomon.config import get_settings
from ecomon.quality import audit, audit_data, audit_keys
from ecomon.store.db import connect

audit_app = typer.Typer(help="审计日志（防篡改）/ tamper-evident audit log.", no_args_is_help=True)

MAX_LISTED = 10


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise _fail(f"{option} wants a date YYYY-MM-DD, got {text!r}") from exc


def _report_data(report: audit_data.DataReport) -> None:
    rate = report.rows / report.seconds if report.seconds else 0.0
    first = report.first
    if first is None:
        typer.echo(f"observations intact: {report.rows:,} rows and {report.superseded:,} superseded versions in "
                   f"{report.days:,} series-days match the day states of {report.records:,} chained records "
                   f"({report.seconds:.1f} s, {rate:,.0f} rows/s)"
                   + (f"; {report.open_checked:,} open series-days ({report.open_rows:,} rows) match their state "
                      "of the QC worker's last pass" if report.open_checked else "")
                   + (f"; {report.open:,} series-days still open (written since the last pass; checked by the "
                      "next)" if report.open else ""))
        return
    typer.echo(f"OBSERVATIONS TAMPERED ({first.kind}): {first.message}", err=True)
    others = [p for p in report.problems if p is not first]
    for p in others[:MAX_LISTED]:
        typer.echo(f"  also ({p.kind}): {p.message}", err=True)
    if len(others) > MAX_LISTED:
        typer.echo(f"  … and {len(others) - MAX_LISTED} more", err=True)
    typer.echo(f"{len(report.problems)} problem(s) in {report.days:,} series-days / {report.rows:,} rows checked",
               err=True)


@audit_app.command("verify")
def verify_command(
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", "--checkpoints", exists=True, dir_okay=False,
        help="exported checkpoint(s) kept outside the database (JSON lines or JSON)")] = None,
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", exists=True, dir_okay=False,
        help="the signer's public key file (PEM) kept outside: exported checkpoints must be signed by it")] = None,
    data: Annotated[bool, typer.Option(
        "--data", help="also check the stored observations against the day states the chain commits to")] = False,
    since: Annotated[str | None, typer.Option("--from", help="with --data: first UTC day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="with --data: last UTC day (YYYY-MM-DD)")] = None,
    site: Annotated[str | None, typer.Option("--site", help="with --data: one site code")] = None,
) -> None:
    """校验审计链与签名，可选校验观测数据 / recompute the chain and checkpoint signatures (with --data: the
    observations too); name the first broken, deleted, inserted or reordered record or tampered day."""
    if public_key is not None and checkpoint is None:
        raise _fail("--public-key checks exported checkpoints: give --checkpoint FILE too")
    if not data and (since or until or site):
        raise _fail("--from/--to/--site restrict the observation check: add --data")
    first, last = _day(since, "--from"), _day(until, "--to")
    try:
        exported = audit.read_exported(checkpoint) if checkpoint else []
        trusted = audit_keys.read_public_key(public_key) if public_key else None
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    with connect() as conn:
        report = audit.verify(conn, exported, trusted)
        if report.problem is not None:
            p = report.problem
            typer.echo(f"AUDIT CHAIN BROKEN ({p.kind}): {p.message}", err=True)
            raise typer.Exit(1)
        typer.echo(f"audit chain intact: {report.records} records, head seq {report.head_seq}, "
                   f"{report.checkpoints} checkpoint(s) match, {report.signed} signature(s) valid"
                   + (" with the given public key" if trusted else ""))
        if not data:
            return
        conn.rollback()                    # read only so far: the data check takes a snapshot of its own
        try:
            data_report = audit_data.verify_data(conn, first, last, site)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    _report_data(data_report)
    if not data_report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint_command(
    export: Annotated[str | None, typer.Option(
        "--export", help="write all checkpoints (signed, JSON lines) to this file; '-' for stdout")] = None,
    user: str | None = typer.Option(None, "--user", help="who takes the checkpoint (default: cli:<login>)"),
) -> None:
    """生成并签名默克尔检查点 / store an Ed25519-signed Merkle checkpoint over all records so far; optionally
    export all checkpoints for keeping outside the database."""
    say = (lambda text: typer.echo(text, err=True)) if export == "-" else typer.echo
    with connect() as conn:
        try:
            cp = audit.checkpoint(conn, user or f"cli:{getpass.getuser()}")
        except ValueError as exc:
            raise _fail(str(exc), 1) from exc
        conn.commit()
        if cp is None:
            say("no new records since the last checkpoint")
        else:
            say(f"checkpoint: records 1..{cp.upto_seq}, root {cp.merkle_root}, signed by key "
                f"{cp.key_fingerprint}")
        if export is not None:
            lines = audit.export_lines(conn)
            if export == "-":
                sys.stdout.write(lines)
            else:
                Path(export).write_text(lines)
                say(f"{lines.count(chr(10))} checkpoint(s) → {export}")


@audit_app.command("public-key")
def public_key_command(
    output: Annotated[Path | None, typer.Option("--output", dir_okay=False,
                                                help="write the PEM here instead of stdout")] = None,
) -> None:
    """导出签名公钥 / the installation's checkpoint public key (PEM, from ECOMON_HOME/secrets) for outside
    auditors, with its fingerprint."""
    path = get_settings().home_path / "secrets" / audit_keys.PUBLIC_FILE
    if not path.exists():
        raise _fail(f"no signing key yet ({path}); `ecomon audit checkpoint` creates it", 1)
    key = audit_keys.read_public_key(path)
    pem = audit_keys.public_pem(key)
    if output is None:
        sys.stdout.write(pem.decode())
    else:
        output.write_bytes(pem)
    typer.echo(f"fingerprint (SHA-256): {audit_keys.fingerprint(key)}", err=True)


@audit_app.command("rotate-key")
def rotate_key_command(
    user: str | None = typer.Option(None, "--user", help="who rotates (default: cli:<login>)"),
) -> None:
    """轮换签名密钥 / register a new signing key pair; older checkpoints stay verifiable with their keys."""
    by = user or f"cli:{getpass.getuser()}"
    with connect() as conn:
        old, new = audit_keys.rotate(conn, get_settings().home_path, by)
        conn.commit()
    typer.echo(f"signing key {new} registered at {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}"
               + (f", replacing {old}" if old else ""))


def register(app: typer.Typer) -> None:
    """Attach `ecomon audit …` to the root app."""
    app.add_typer(audit_app, name="audit")
