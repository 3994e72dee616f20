"""`ecomon hj212 …`: the codec for integrators (decode, encode, crc). A public contract: one frame or JSON
object per line, so it composes with shell pipes. The gateway adds `serve`/`simulate` to `hj212_app`."""

from __future__ import annotations

import json
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from ecomon.ingest.hj212.codec import Hj212Error, Packet, Version, crc16_hex, decode, encode

hj212_app = typer.Typer(help="HJ 212 数据传输协议 / HJ 212 protocol tools.", no_args_is_help=True)

Source = Annotated[str, typer.Argument(help="File with one item per line, or - for standard input.")]


def _lines(source: str) -> Iterator[bytes]:
    if source == "-":
        stream: BinaryIO = sys.stdin.buffer
        yield from stream
        return
    try:
        handle = Path(source).open("rb")  # noqa: SIM115 (closed by the `with` below; open errors exit 2)
    except OSError as exc:
        typer.echo(f"cannot read {source}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    with handle:
        yield from handle


def _as_json(packet: Packet | None, error: str | None, warnings: tuple[str, ...]) -> str:
    return json.dumps({"valid": packet is not None, "error": error, "warnings": list(warnings),
                       "header": dict(packet.header) if packet else {}, "cp": dict(packet.cp) if packet else {}},
                      ensure_ascii=False)


@hj212_app.command("decode")
def decode_command(source: Source = "-",
                   lenient: Annotated[bool, typer.Option(help="Accept real-world deviations as warnings.")] = False,
                   ) -> None:
    """Frame per line → JSON per line: valid, error, warnings, header, cp (values exactly as sent)."""
    for raw in _lines(source):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        try:
            packet = decode(line + b"\r\n", lenient=lenient)
        except Hj212Error as exc:
            typer.echo(_as_json(None, str(exc), ()))
        else:
            typer.echo(_as_json(packet, None, packet.warnings))


def _packet_from_json(obj: object) -> Packet:
    if not isinstance(obj, dict) or not isinstance(obj.get("header"), dict) or not isinstance(obj.get("cp", {}), dict):
        raise ValueError('expected an object with "header" and "cp" objects')  # noqa: TRY004 (bad input line)
    header = {str(k): str(v) for k, v in obj["header"].items() if v is not None}
    cp = {str(k): str(v) for k, v in obj.get("cp", {}).items()}
    flag = header.get("Flag")
    if flag is None:
        version = Version.HJT212_2005
    elif flag.isascii() and flag.isdigit() and (int(flag) >> 2) <= 2:
        version = Version(int(flag) >> 2)
    else:
        raise ValueError(f"Flag {flag!r} names no known version (2005: 0-3, 2017: 4-7, 2025: 8-11)")
    return Packet(header, cp, version)


@hj212_app.command("encode")
def encode_command(source: Source = "-") -> None:
    """JSON per line (the shape `decode` writes) → frame per line, with length and CRC computed.
    Lines that cannot be encoded are reported on stderr and make the exit code 1."""
    failed = False
    for number, raw in enumerate(_lines(source), start=1):
        if not raw.strip():
            continue
        try:
            frame = encode(_packet_from_json(json.loads(raw)))
        except (ValueError, Hj212Error) as exc:  # json.JSONDecodeError is a ValueError
            typer.echo(f"line {number}: {exc}", err=True)
            failed = True
            continue
        sys.stdout.buffer.write(frame)
        sys.stdout.buffer.flush()
    if failed:
        raise typer.Exit(1)


@hj212_app.command("crc")
def crc_command(segments: Annotated[list[str] | None, typer.Argument(
        help="Data segments (QN=…;…;CP=&&…&&); none: one per line on standard input.")] = None) -> None:
    """Print the HJ 212 CRC (App. A) of each data segment, one per line."""
    items = [s.encode("utf-8") for s in segments] if segments else [r.rstrip(b"\r\n") for r in _lines("-")]
    for item in items:
        typer.echo(crc16_hex(item))


@hj212_app.command("serve")
def serve_command(host: Annotated[str | None, typer.Option(help="Listen address (default: gateway_host).")] = None,
                  port: Annotated[int | None, typer.Option(help="TCP port (default: gateway_port, 9212).")] = None,
                  stream: Annotated[str, typer.Option(help="JetStream stream name.")] = "HJ212",
                  clock_bound: Annotated[float, typer.Option(help="Seconds of device clock drift before 1012.")] = 60.0,
                  gap_scan: Annotated[float, typer.Option(help="Seconds between gap scans.")] = 300.0) -> None:
    """HJ 212 网关 / gateway: accept devices over TCP, ACK data once it is durable on the bus."""

    from ecomon.config import get_settings
    from ecomon.ingest.hj212.gateway.server import serve
    from ecomon.ingest.hj212.session.config import SessionConfig
    from ecomon.ingest.hj212.session.keys import installation_key
    from ecomon.runtime.engines import Engines

    settings = get_settings()
    engines = Engines(settings)
    _logging(settings.log_level)
    _run_service(_until_signal(serve(host or settings.gateway_host, port or settings.gateway_port,
                                    nats_url=engines.nats_url(), database_url=engines.database_url(),
                                    local_tz=settings.timezone, stream=stream,
                                    session=SessionConfig(clock_bound_s=clock_bound, gap_scan_s=gap_scan,
                                                          key_rotation_age_days=settings.hj212_key_rotation_days,
                                                          key_check_s=settings.hj212_key_check_s),
                                    master_key=installation_key(settings.home_path))))


@hj212_app.command("writer")
def writer_command(stream: Annotated[str, typer.Option(help="JetStream stream name.")] = "HJ212") -> None:
    """HJ 212 写库 / writer: bus → PostgreSQL (raw frames, observations), idempotent."""

    from ecomon.config import get_settings
    from ecomon.ingest.hj212.writer import run_writer
    from ecomon.runtime.engines import Engines

    settings = get_settings()
    engines = Engines(settings)
    _logging(settings.log_level)
    _run_service(_until_signal(run_writer(engines.nats_url(), engines.database_url(), stream=stream,
                                         local_tz=settings.timezone)))


def _run_service(main: Coroutine[Any, Any, None]) -> None:
    """Run a bus/socket service on uvloop (libuv event loop: about twice the small-message throughput of the
    default loop for the gateway's many connections and the writer's NATS traffic)."""
    import uvloop

    uvloop.run(main)


async def _until_signal(main: Coroutine[Any, Any, None]) -> None:
    """Run a service until SIGTERM or SIGINT (also when started in the background, where SIGINT is ignored)."""
    import asyncio
    import contextlib
    import signal

    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _logging(level: str) -> None:
    import logging

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register(app: typer.Typer) -> None:
    """Attach the `hj212` command group to the root `ecomon` app."""
    from ecomon.ingest.hj212.forward.cli import forward_app

    hj212_app.add_typer(forward_app, name="forward")
    from ecomon.ingest.hj212.simulate_cli import simulate_command

    hj212_app.command("simulate")(simulate_command)
    from ecomon.ingest.hj212.session.cli import register_session_commands

    register_session_commands(hj212_app)
    app.add_typer(hj212_app, name="hj212")
