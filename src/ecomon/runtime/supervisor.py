"""`ecomon up`: engines plus the platform's service processes, in the foreground, stopped together.

Services are separate processes (web, HJ 212 gateway and writer, upward forwarder, QC worker, evaluation worker),
so each can also be run alone on other machines against external engines to scale out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ecomon.config import Settings
from ecomon.runtime.engines import Engines

# A crashed service is restarted after a pause that doubles up to this bound; one that crashes this many times
# within RESTART_WINDOW seconds is considered broken and takes the platform down with it (so it is noticed).
RESTART_DELAY_MAX = 30.0
RESTART_LIMIT = 5
RESTART_WINDOW = 300.0


@dataclass
class Service:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    crashes: list[float] = field(default_factory=list)
    restart_at: float | None = None


def default_services(settings: Settings) -> list[Service]:
    exe = [sys.executable, "-m", "ecomon.cli"]
    return [
        Service("web", [*exe, "serve", "web"]),
        Service("gateway", [*exe, "hj212", "serve"]),
        *(Service("writer" if n == 1 else f"writer-{n}", [*exe, "hj212", "writer"])
          for n in range(1, settings.hj212_writers + 1)),  # they share the stream's durable consumer
        Service("forward", [*exe, "hj212", "forward", "run"]),
        Service("quality", [*exe, "quality", "watch"]),
        Service("evaluate", [*exe, "evaluate", "watch"]),
    ]


def demo_services(settings: Settings) -> list[Service]:
    """The platform plus the Beijing replay: 12 simulated HJ 212 stations, so the live views move."""
    exe = [sys.executable, "-m", "ecomon.cli"]
    return [*default_services(settings),
            Service("simulator", [*exe, "hj212", "simulate", "--replay-beijing", "--speed", "60"])]


@dataclass
class Supervisor:
    settings: Settings
    services: list[Service] = field(default_factory=list)
    _stopping: bool = False

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir / "ecomon.pid"

    def run(self, on_ready: Callable[[], None] | None = None) -> int:
        """Start everything, block until Ctrl-C/SIGTERM or a service keeps crashing, then stop everything."""
        engines = Engines(self.settings)
        self.settings.run_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(str(os.getpid()))
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        exit_code = 0
        try:
            env = {**os.environ, "ECOMON_HOME": str(self.settings.home_path)}
            for svc in self.services:
                svc.process = subprocess.Popen(svc.argv, env=env, start_new_session=True)
            if on_ready:
                on_ready()
            while not self._stopping:
                for svc in self.services:
                    if not self._watch(svc, env):
                        exit_code = 1
                        self._stopping = True
                time.sleep(0.2)
        finally:
            self._stop_services()
            engines.stop()
            self.pid_file.unlink(missing_ok=True)
        return exit_code

    def _watch(self, svc: Service, env: dict[str, str]) -> bool:
        """Restart a crashed service with back-off; False once it keeps crashing."""
        now = time.monotonic()
        if svc.restart_at is not None:
            if now >= svc.restart_at:
                print(f"restarting service {svc.name}", file=sys.stderr)
                svc.process = subprocess.Popen(svc.argv, env=env, start_new_session=True)
                svc.restart_at = None
            return True
        if svc.process is None or svc.process.poll() is None:
            return True
        svc.crashes = [t for t in svc.crashes if now - t < RESTART_WINDOW] + [now]
        if len(svc.crashes) >= RESTART_LIMIT:
            print(f"service {svc.name} exited {len(svc.crashes)} times within {RESTART_WINDOW:.0f}s; stopping",
                  file=sys.stderr)
            return False
        delay = min(RESTART_DELAY_MAX, 2.0 ** len(svc.crashes))
        print(f"service {svc.name} exited with {svc.process.returncode}; restarting in {delay:.0f}s", file=sys.stderr)
        svc.restart_at = now + delay
        return True

    def _request_stop(self, *_: object) -> None:
        self._stopping = True

    def _stop_services(self) -> None:
        for svc in self.services:
            if svc.process and svc.process.poll() is None:
                svc.process.terminate()
        deadline = time.monotonic() + 10
        for svc in self.services:
            if svc.process:
                try:
                    svc.process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    svc.process.kill()


def running_pid(settings: Settings) -> int | None:
    path = settings.run_dir / "ecomon.pid"
    try:
        pid = int(path.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
