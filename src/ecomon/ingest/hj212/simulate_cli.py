"""`ecomon hj212 simulate`: synthetic stations (air, water, CEMS) with optional faults, or the Beijing replay."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from ecomon.ingest.hj212.simulator import Station

KINDS = ("air", "water", "cems")


def simulate_command(
        devices: Annotated[int, typer.Option(min=1, help="Number of synthetic stations.")] = 10,
        minutes: Annotated[int | None, typer.Option(min=1, help="Minutes of data per station (replay: none = "
                                                               "until Ctrl-C).")] = None,
        host: Annotated[str, typer.Option(help="Gateway address.")] = "127.0.0.1",
        port: Annotated[int | None, typer.Option(help="Gateway port (default: gateway_port).")] = None,
        password: Annotated[str, typer.Option(help="PW of every synthetic device.")] = "123456",
        mn_prefix: Annotated[str, typer.Option(help="MN = prefix + zero-padded number (24).")] = "A0",
        kind: Annotated[list[str] | None, typer.Option(
            help="Station kinds in turn: air, water, cems (repeat; default air).")] = None,
        speed: Annotated[float | None, typer.Option(
            min=0.01, help="Simulated minutes per real minute (never ahead of the wall clock); default: as fast "
                           "as the gateway ACKs.")] = None,
        replay_beijing: Annotated[bool, typer.Option(
            help="Replay data/beijing-air as its 12 stations (devices registered with random passwords in "
                 "<home>/secrets).")] = False,
        backfill_hours: Annotated[float, typer.Option(min=0, help="Replay: start this many hours ago.")] = 24.0,
        bad_crc: Annotated[float, typer.Option(min=0, max=1, help="Share of packets first sent with a bad CRC.")] = 0,
        split: Annotated[float, typer.Option(min=0, max=1, help="Share of packets split over TCP writes.")] = 0,
        reconnect_every: Annotated[int, typer.Option(min=0, help="Minutes between reconnect storms.")] = 0,
        clock_drift: Annotated[float, typer.Option(help="Device clock offset in seconds.")] = 0,
        pause_every: Annotated[int, typer.Option(min=0, help="Minutes between pauses (gaps).")] = 0,
        pause_minutes: Annotated[int, typer.Option(min=0, help="Length of each pause in minutes.")] = 0,
) -> None:
    """模拟现场端 / simulated field units: send 2051/2061 packets, count the 9014 ACKs (JSON summary)."""
    from ecomon.config import get_settings
    from ecomon.ingest.hj212.simulator import Faults, SimResult, run_stations, synthetic_stations

    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(zone).replace(tzinfo=None, second=0, microsecond=0)
    faults = Faults(bad_crc, split, reconnect_every, clock_drift, pause_every, pause_minutes)
    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        raise typer.BadParameter(f"{', '.join(unknown)}: kinds are {', '.join(KINDS)}", param_hint="--kind")
    if replay_beijing:
        stations = _beijing(settings)
        start = (now - timedelta(hours=backfill_hours)).replace(minute=0)
        count = minutes
    else:
        count = minutes or 60
        start = now - timedelta(minutes=count)
        stations = synthetic_stations(devices, count, start, password=password, mn_prefix=mn_prefix,
                                      kinds=tuple(kind or ("air",)))
    result = SimResult()
    began = time.perf_counter()
    try:
        asyncio.run(run_stations(host, port or settings.gateway_port, stations, start=start, minutes=count,
                                 faults=faults, speed=speed, local_tz=settings.timezone, result=result))
    except KeyboardInterrupt:
        pass
    finally:
        seconds = time.perf_counter() - began
        typer.echo(json.dumps({"devices": len(stations), **result.summary(), "seconds": round(seconds, 3),
                               "acked_per_s": round(result.acked / seconds, 1) if seconds else None}))
    if result.acked != result.sent:
        raise typer.Exit(1)


def _beijing(settings: object) -> list[Station]:
    from ecomon.demo import demo_data_dir
    from ecomon.ingest.hj212.replay import beijing_stations, register_beijing_devices
    from ecomon.store.db import connect

    data = demo_data_dir()
    with connect() as conn:
        try:
            devices = register_beijing_devices(conn, data, settings.home_path / "secrets",  # type: ignore[attr-defined]
                                               f"cli:{getpass.getuser()}")
        except LookupError as exc:
            typer.echo(str(exc), err=True)
            sys.exit(2)
    return beijing_stations(data, devices)
