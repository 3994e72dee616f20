"""`ecomon hj212 forward add|list|run`: configure upward forwarding and run it as a service."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer

forward_app = typer.Typer(help="向上级平台转发 / upward forwarding to upper-level platforms (HJ 212).",
                          no_args_is_help=True)


def _mapping(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        device_mn, eq, upper_mn = item.partition("=")
        if not eq or not device_mn or not upper_mn:
            raise typer.BadParameter(f"{item!r}: expected DEVICE_MN=UPPER_MN", param_hint="--map")
        mapping[device_mn] = upper_mn
    return mapping


@forward_app.command("add")
def add_command(name: Annotated[str, typer.Argument(help="Name of the upper platform, e.g. province.")],
                host: Annotated[str, typer.Option(help="Upper platform address.")],
                port: Annotated[int, typer.Option(min=1, max=65535, help="Upper platform TCP port.")],
                password: Annotated[str, typer.Option(help="PW the upper platform expects (6 characters).")],
                site: Annotated[list[str] | None, typer.Option(
                    help="Site code whose data is forwarded (repeat).")] = None,
                outlet: Annotated[list[str] | None, typer.Option(
                    help="Enterprise outlet USCC/CODE whose CEMS data is forwarded (repeat).")] = None,
                map_mn: Annotated[list[str] | None, typer.Option(
                    "--map", help="DEVICE_MN=UPPER_MN under which the upper platform knows a device (repeat).")] = None,
                version: Annotated[str, typer.Option(help="HJ 212 version sent: 2017 or 2025.")] = "2017",
                ack_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the 9014.")] = 10.0,
                no_ack: Annotated[bool, typer.Option(
                    help="The upper platform never answers: a packet counts as sent once written.")] = False) -> None:
    """Add an upper platform and the sites and outlets it receives (audited)."""
    from ecomon.ingest.hj212.forward.targets import TargetError, add_target
    from ecomon.store.db import connect

    with connect() as conn:
        try:
            target_id = add_target(conn, name=name, host=host, port=port, password=password, sites=site or [],
                                   outlets=outlet or [],
                                   mapping=_mapping(map_mn or []), actor=f"cli:{getpass.getuser()}",
                                   version=version, await_ack=not no_ack, ack_timeout_s=ack_timeout)
        except TargetError as exc:
            typer.echo(f"refused: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(json.dumps({"id": target_id, "name": name}))


@forward_app.command("list")
def list_command() -> None:
    """One JSON object per target: address, sites, mapped devices and the queue (pending, sent, failed)."""
    from ecomon.ingest.hj212.forward.queue import backlog
    from ecomon.ingest.hj212.forward.targets import load_targets, outlet_names, site_codes, upstream
    from ecomon.store.db import connect

    with connect() as conn:
        counts = backlog(conn)
        for t in load_targets(conn):
            pending, sent, failed = counts.get(t.id, (0, 0, 0))
            typer.echo(json.dumps({
                "id": t.id, "name": t.name, "host": t.host, "port": t.port, "version": t.version.label,
                "enabled": t.enabled, "await_ack": t.await_ack, "sites": site_codes(conn, t.id),
                "outlets": outlet_names(conn, t.id),
                "mapping": {mn: up.mn for mn, up in upstream(conn, t).items()},
                "pending": pending, "sent": sent, "failed": failed}, ensure_ascii=False))


@forward_app.command("run")
def run_command(poll: Annotated[float, typer.Option(min=0.05, help="Seconds between queue polls when idle.")] = 1.0,
                ) -> None:
    """转发服务 / the forwarding service: drain every enabled target's queue in order until SIGTERM."""
    import asyncio

    from ecomon.config import get_settings
    from ecomon.ingest.hj212.cli import _logging, _until_signal
    from ecomon.ingest.hj212.forward.sender import run_forwarder
    from ecomon.runtime.engines import Engines

    settings = get_settings()
    _logging(settings.log_level)
    asyncio.run(_until_signal(run_forwarder(Engines(settings).database_url(), poll_s=poll)))
