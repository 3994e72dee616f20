"""Helpers for the gateway tests: the gateway and writer processes, station registration, polling."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ECOMON = str(Path(sys.executable).with_name("ecomon"))
PASSWORD = "Pw9k2Z"  # HJ 212-2017 Table 3: PW has 6 characters


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Services:
    """The gateway and writer processes of one test module."""

    def __init__(self, stream: str, port: int, log_dir: Path) -> None:
        self.stream, self.port, self.log_dir = stream, port, log_dir
        self.gateway: subprocess.Popen[bytes] | None = None
        self.writer: subprocess.Popen[bytes] | None = None
        self._writers = 0

    def _spawn(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        return subprocess.Popen([ECOMON, "hj212", *args, "--stream", self.stream], stdout=log, stderr=log,
                                env={**os.environ, "ECOMON_LOG_LEVEL": "INFO"})

    def start_gateway(self) -> None:
        self.gateway = self._spawn("serve", "--host", "127.0.0.1", "--port", str(self.port), name="gateway")

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return False
            return True
        wait_for(listening, 20, "the gateway to listen")

    def start_writer(self) -> None:
        self._writers += 1
        self.writer = self._spawn("writer", name=f"writer{self._writers}")

    def kill_writer(self) -> None:
        assert self.writer is not None
        self.writer.send_signal(signal.SIGKILL)
        self.writer.wait(10)

    def stop(self) -> None:
        for proc in (self.gateway, self.writer):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def register_stations(database_url: str, mn_prefix: str, count: int, password: str = PASSWORD) -> dict[str, int]:
    """`count` Beijing air stations, one device each (MN from the simulator's scheme); returns MN → site id."""
    from ecomon.ingest.hj212.gateway.devices import register_device
    from ecomon.ingest.hj212.simulator import device_mn
    from ecomon.registry.catalogue import parameters
    from ecomon.registry.store import load_parameters

    sites = {}
    with psycopg.connect(database_url) as conn:
        if conn.execute("SELECT count(*) FROM parameter").fetchone() == (0,):
            load_parameters(conn, parameters())
        conn.execute("""INSERT INTO region (code, name_zh, level) VALUES ('110000', '北京市', 'province')
                        ON CONFLICT DO NOTHING""")
        for i in range(1, count + 1):
            mn = device_mn(mn_prefix, i)
            row = conn.execute(
                """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
                   VALUES (%s, '网关测试站', 'air', 'urban', 'national', '110000', 'test')
                   ON CONFLICT (code) DO UPDATE SET updated_by = 'test' RETURNING id""", (f"GW-{mn}",)).fetchone()
            assert row is not None
            register_device(conn, mn, password, site_id=int(row[0]), updated_by="test")
            sites[mn] = int(row[0])
    return sites
