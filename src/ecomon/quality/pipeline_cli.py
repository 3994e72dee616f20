"""`ecomon quality run|watch` and `ecomon alarms list`: QC on stored data, the QC worker, the alarm list."""

from __future__ import annotations

import asyncio
import csv
import getpass
import signal
import sys
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from psycopg import AsyncConnection

from ecomon.config import get_settings
from ecomon.quality import alarms, pipeline
from ecomon.quality.cli import quality_app
from ecomon.store.db import connect, database_url
from ecomon.web.auth.principal import Principal

alarms_app = typer.Typer(help="异常告警 / alarm events of the detectors.", no_args_is_help=True)
WORKER = "quality-worker"


def _time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=ZoneInfo(get_settings().timezone))


def run_command(
    start: str = typer.Option(..., "--from", help="start (inclusive), ISO 8601; no offset = local time"),
    end: str = typer.Option(..., "--to", help="end (exclusive)"),
    site: str | None = typer.Option(None, "--site", help="only this site code"),
    detect: bool = typer.Option(True, "--detect/--no-detect", help="also run the detectors and store alarms"),
) -> None:
    """对历史数据质控 / run the QC tests (and detectors) over stored data of a period."""
    settings = get_settings()
    actor = f"cli:{getpass.getuser()}"
    t_from, t_to = _time(start), _time(end)
    with connect() as conn:
        queued = pipeline.queue_range(conn, t_from, t_to, site)
        conn.commit()
        counts = pipeline.drain(conn, actor=actor, local_tz=settings.timezone)
        typer.echo(f"QC: {queued} series-days queued, {counts.values} values checked, {counts.changed} flags "
                   f"changed, {counts.suspect} suspect, {counts.failed} failed")
        if detect:
            new = pipeline.detect(conn, t_from, t_to, actor=actor)
            conn.commit()
            typer.echo(f"detectors: {new} new alarm event(s)")


def watch_command(
    poll: float = typer.Option(2.0, "--poll", help="seconds to wait when the queue is empty"),
    detect_every: float = typer.Option(3600.0, "--detect-every", help="seconds between detector runs"),
    detect_days: int = typer.Option(60, "--detect-days", help="days of data each detector run looks at"),
    checkpoint_every: float = typer.Option(3600.0, "--checkpoint-every", help="seconds between audit checkpoints"),
) -> None:
    """质控工作进程 / QC newly stored data as it arrives; detectors and audit checkpoints periodically."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo("quality worker: watching for new data", err=True)
    pipeline.watch(actor=WORKER, local_tz=get_settings().timezone, poll=poll, detect_every=detect_every,
                   detect_days=detect_days, checkpoint_every=checkpoint_every, stop=stop)


LIST_COLUMNS = ("id", "detector", "site", "parameter_code", "t_start", "t_end", "score", "status", "verdict_by",
                "verdict_note")


@alarms_app.command("list")
def list_command(
    status: str | None = typer.Option(None, "--status", help="open | confirmed | dismissed"),
    site: str | None = typer.Option(None, "--site"),
    detector: str | None = typer.Option(None, "--detector"),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000),
) -> None:
    """告警列表 / list alarm events as CSV (verdicts are the labels for tuning)."""
    if status is not None and status not in alarms.STATUSES:
        raise typer.BadParameter(f"status must be one of {', '.join(alarms.STATUSES)}")

    async def go() -> tuple[int, list[dict]]:
        conn = await AsyncConnection.connect(database_url())
        async with conn:
            await conn.execute("SET TIME ZONE 'UTC'")
            operator = Principal(None, "cli", "admin", via="cli")     # shell access to the database: everything
            return await alarms.list_alarms(conn, operator, status=status, site=site, detector=detector,
                                            limit=limit)

    found, rows = asyncio.run(go())
    writer = csv.writer(sys.stdout)
    writer.writerow(LIST_COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in LIST_COLUMNS])
    typer.echo(f"{len(rows)} of {found} alarm(s)", err=True)


def register(app: typer.Typer) -> None:
    """Add `quality run|watch` to the quality group and attach `ecomon alarms …`."""
    quality_app.command("run")(run_command)
    quality_app.command("watch")(watch_command)
    app.add_typer(alarms_app, name="alarms")
