"""Helpers for the gateway tests: the gateway and writer processes, station registration, polling."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from ecomon.ingest.hj212.codec import Packet

ECOMON = str(Path(sys.executable).with_name("ecomon"))
PASSWORD = "Pw9k2Z"  # HJ 212-2017 Table 3: PW has 6 characters
SHANGHAI = ZoneInfo("Asia/Shanghai")
INTERVAL = {"2051": "minute", "2061": "hour", "2011": "raw", "2031": "day"}


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

    def __init__(self, stream: str, port: int, log_dir: Path, database_url: str,
                 gateway_args: tuple[str, ...] = ()) -> None:
        self.stream, self.port, self.log_dir, self.database_url = stream, port, log_dir, database_url
        self.gateway_args = gateway_args
        self.gateway: subprocess.Popen[bytes] | None = None
        self.writer: subprocess.Popen[bytes] | None = None
        self._writers = 0
        self._gateways = 0

    @property
    def env(self) -> dict[str, str]:
        """The environment of the services and of CLI calls: this module's database."""
        return {**os.environ, "ECOMON_LOG_LEVEL": "INFO", "ECOMON_DATABASE_URL": self.database_url}

    def _spawn(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        return subprocess.Popen([ECOMON, "hj212", *args, "--stream", self.stream], stdout=log, stderr=log,
                                env=self.env)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """`ecomon hj212 …` against this module's database."""
        return subprocess.run([ECOMON, "hj212", *args], capture_output=True, text=True, env=self.env, input=stdin,
                              timeout=120, check=False)

    def start_gateway(self) -> None:
        self._gateways += 1
        self.gateway = self._spawn("serve", "--host", "127.0.0.1", "--port", str(self.port), *self.gateway_args,
                                   name=f"gateway{self._gateways}")

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

    def kill_gateway(self) -> None:
        assert self.gateway is not None
        self.gateway.send_signal(signal.SIGKILL)
        self.gateway.wait(10)

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


def stored(database_url: str, sites: dict[str, int]) -> dict[tuple[int, str, str, datetime], list[float]]:
    """(site, parameter, interval, t) → the values stored (a list, so duplicates would show)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """SELECT s.site_id, s.parameter_code, s.interval_kind, o.t, o.value
               FROM observation o JOIN series s ON s.id = o.series_id
               WHERE s.site_id = ANY(%s)""", (list(sites.values()),)).fetchall()
    found: dict[tuple[int, str, str, datetime], list[float]] = {}
    for site_id, code, interval, t, value in rows:
        found.setdefault((site_id, code, interval, t), []).append(value)
    return found


def expected(packets: list[Packet], sites: dict[str, int]) -> dict[tuple[int, str, str, datetime], float]:
    out = {}
    for p in packets:
        view = p.view()
        assert view.data_time is not None
        t = view.data_time.replace(tzinfo=SHANGHAI)
        for row in view.rows:
            out[(sites[p.mn or ""], row.code, INTERVAL[p.cn or ""], t)] = row.value
    return out


def frames_archived(database_url: str, mns: list[str]) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM raw_frame WHERE mn = ANY(%s)", (mns,)).fetchone()
    return int(row[0]) if row else 0


def assert_exactly_once(database_url: str, sites: dict[str, int], acked: list[Packet]) -> None:
    """Every value of every ACKed packet is stored, once, with the value sent."""
    want = expected(acked, sites)
    got = stored(database_url, sites)
    missing = [k for k in want if k not in got]
    assert not missing, f"{len(missing)} ACKed values missing, e.g. {missing[:3]}"
    duplicated = {k: v for k, v in got.items() if len(v) != 1}
    assert not duplicated
    wrong = {k: (got[k], v) for k, v in want.items() if got[k][0] != pytest.approx(v)}
    assert not wrong


def api_tokens(url: str, prefix: str, users: dict[str, tuple[str, str | None, int | None]]) -> dict[str, str]:
    """A read/write API token per label for users `prefix_label` of (role, region, enterprise id)."""
    import asyncio
    from datetime import timedelta

    from psycopg import AsyncConnection

    from ecomon.web.auth import accounts
    from ecomon.web.auth.credentials import random_password
    from ecomon.web.auth.principal import Principal

    async def create() -> dict[str, str]:
        tokens = {}
        async with await AsyncConnection.connect(url) as conn:
            for label, (role, region, enterprise_id) in users.items():
                name = f"{prefix}_{label}"
                user_id = await accounts.create_user(conn, accounts.NewUser(name, role, region, enterprise_id),
                                                     random_password(), "test")
                principal = Principal(user_id, name, role, region, enterprise_id, via="token",
                                      scopes=frozenset({"read", "write"}))
                _, tokens[label] = await accounts.create_token(conn, principal, "tests", ["read", "write"],
                                                               timedelta(days=1), None)
            await conn.commit()
        return tokens

    return asyncio.run(create())
