"""Process management commands: `ecomon up | status | stop | serve`."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable

import typer
from rich.console import Console

from ecomon.config import get_settings
from ecomon.runtime.engines import Engines
from ecomon.runtime.supervisor import Service, Supervisor, default_services, running_pid

console = Console()
serve_app = typer.Typer(help="运行单个服务 / run one service in the foreground (for scale-out).", no_args_is_help=True)


def start_platform() -> Engines:
    """Start the engines and bring the schema up to date; shared by `up`, `demo` and tests."""
    from ecomon.store.db import migrate

    settings = get_settings()
    engines = Engines(settings)
    engines.start()
    migrate(engines.database_url())
    return engines


def up() -> None:
    """启动全部服务 / start engines and all services in the foreground; Ctrl-C stops everything."""
    run_foreground(banner=None)


def run_foreground(banner: Callable[[], None] | None, services: list[Service] | None = None) -> None:
    settings = get_settings()
    if running_pid(settings):
        console.print(f"[red]ecomon is already running (pid {running_pid(settings)}); `ecomon stop` first[/red]")
        raise typer.Exit(1)
    start_platform()

    def ready() -> None:
        url = f"http://{settings.http_host}:{settings.http_port}"
        if _wait_http(url + "/health", 60):
            console.print(f"[green]ecomon is up:[/green] {url}  (Ctrl-C to stop)")
        if banner:
            banner()

    code = Supervisor(settings, services or default_services(settings)).run(on_ready=ready)
    console.print("ecomon stopped")
    raise typer.Exit(code)


def status() -> None:
    """显示运行状态 / show engines, services and health."""
    settings = get_settings()
    engines = Engines(settings)
    pg, nats = engines.postgres, engines.nats
    rows = {
        "home": str(settings.home_path),
        "postgres": ("external " if pg is None else "embedded ") + _state(pg.running() if pg else None),
        "nats": ("external " if nats is None else "embedded ") + _state(nats.running() if nats else None),
        "platform pid": running_pid(settings),
    }
    try:
        with urllib.request.urlopen(f"http://{settings.http_host}:{settings.http_port}/health", timeout=2) as r:
            rows["health"] = json.loads(r.read())
    except OSError as exc:
        rows["health"] = f"unreachable ({exc.__class__.__name__})"
    for key, value in rows.items():
        console.print(f"{key:>13}: {value}")


def stop() -> None:
    """停止平台 / stop a running `ecomon up` (or leftover embedded engines)."""
    settings = get_settings()
    pid = running_pid(settings)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while running_pid(settings) and time.monotonic() < deadline:
            time.sleep(0.2)
        console.print(f"stopped ecomon (pid {pid})")
    Engines(settings).stop()


@serve_app.command("web")
def serve_web(
    host: str = typer.Option(None, help="bind address (default ECOMON_HTTP_HOST)"),
    port: int = typer.Option(None, help="port (default ECOMON_HTTP_PORT)"),
    workers: int = typer.Option(1, help="worker processes"),
) -> None:
    """Web console, public portal and API (FastAPI/uvicorn)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "ecomon.web.app:create_app",
        factory=True,
        host=host or settings.http_host,
        port=port or settings.http_port,
        workers=workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


engines_app = typer.Typer(help="仅启停内嵌数据库与消息总线 / start or stop only the embedded engines.",
                          no_args_is_help=True)


@engines_app.command("start")
def engines_start() -> None:
    """Start the embedded PostgreSQL and NATS (in the background) and migrate the schema."""
    start_platform()
    console.print("engines running")


@engines_app.command("stop")
def engines_stop() -> None:
    """Stop the embedded engines."""
    Engines(get_settings()).stop()


@engines_app.command("url")
def engines_url(engine: str = typer.Argument(..., help="postgres | nats")) -> None:
    """Print the connection URL of an engine (contains its generated password: handle with care)."""
    engines = Engines(get_settings())
    if engine not in ("postgres", "nats"):
        raise typer.BadParameter("choose postgres or nats")
    print(engines.database_url() if engine == "postgres" else engines.nats_url())


def _state(flag: bool | None) -> str:
    return "configured by URL" if flag is None else ("running" if flag else "stopped")


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("status")(status)
    app.command("stop")(stop)
    app.add_typer(serve_app, name="serve")
    app.add_typer(engines_app, name="engines")
