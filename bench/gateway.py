"""HJ 212 end to end on this machine: load generator → gateway process(es) → JetStream → writer → PostgreSQL.

The gateway(s) and the writer run as the services do (`ecomon hj212 serve` / `writer` subprocesses); this process
is the load: persistent device connections, 8-factor minute packets (2051, Flag=5), each ACK timed from the moment
the packet was due. Phases:
1. sustained: every device sends as fast as its ACKs come back → ACKed packets/s and values/s, and the time until
   the writer has committed the last frame (durable throughput), with 1 gateway process (baseline) and with 2
   sharing the port (SO_REUSEPORT); ratio 2/1;
2. latency at a fixed offered rate (default 5,000 packets/s): ACK p50/p99;
3. connections held: N idle device connections opened at once (fd limit raised), counted open after a pause.

Run: .venv/bin/python bench/gateway.py [--devices 200] [--seconds 15] [--rate 5000] [--hold 10000]
(a scratch database `ecomon_bench`; a few minutes; on a shared 2-core machine the load generator competes with
gateway, writer, NATS and PostgreSQL for the same cores, so figures are a floor).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import uvloop

from ecomon.config import get_settings
from ecomon.ingest.hj212.codec import Version, build, crc16_hex, encode
from ecomon.ingest.hj212.gateway.devices import hash_password
from ecomon.ingest.hj212.simulator import device_mn
from ecomon.registry.catalogue import parameters
from ecomon.registry.store import load_parameters
from ecomon.runtime.engines import Engines
from ecomon.store.db import migrate

PASSWORD = "123456"
ECOMON = str(Path(sys.executable).with_name("ecomon"))
QN_EPOCH = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
FACTORS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002")  # 8 values/packet


def scratch_database(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "ecomon_bench" WITH (FORCE)')
        conn.execute('CREATE DATABASE "ecomon_bench"')
    url = url.rpartition("/")[0] + "/ecomon_bench"
    migrate(url)
    return url


def register(url: str, prefix: str, devices: int) -> None:
    hashed = hash_password(PASSWORD)  # one hash for all: registration is not what is measured
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT count(*) FROM parameter").fetchone() == (0,):
            load_parameters(conn, parameters())
        conn.execute("INSERT INTO region (code, name_zh, level) VALUES ('110000', '北京市', 'province') "
                     "ON CONFLICT DO NOTHING")
        for i in range(1, devices + 1):
            mn = device_mn(prefix, i)
            site = conn.execute("INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, "
                                "updated_by) VALUES (%s, '压测站', 'air', 'urban', 'national', '110000', 'bench') "
                                "RETURNING id", (mn,)).fetchone()
            conn.execute("INSERT INTO device (mn, password_hash, site_id, updated_by) VALUES (%s, %s, %s, 'bench')",
                         (mn, hashed, site[0] if site else None))


def committed(url: str, prefix: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM raw_frame WHERE mn LIKE %s", (prefix + "%",)).fetchone()
    return int(row[0]) if row else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Services:
    """Writer and gateway subprocesses on one stream, as the supervisor runs them."""

    def __init__(self, db_url: str, gateways: int) -> None:
        self.stream = f"BENCH{uuid.uuid4().hex[:8].upper()}"
        self.port = free_port()
        env = {**os.environ, "ECOMON_DATABASE_URL": db_url, "ECOMON_LOG_LEVEL": "WARNING"}
        self.procs = [subprocess.Popen([ECOMON, "hj212", "writer", "--stream", self.stream], env=env)]
        self.procs += [subprocess.Popen([ECOMON, "hj212", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--stream", self.stream], env=env) for _ in range(gateways)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    time.sleep(1.0 * gateways)  # the others bind the shared port moments later
                    return
            time.sleep(0.2)
        raise RuntimeError("gateway did not start listening")

    def stop(self) -> None:
        for proc in reversed(self.procs):  # gateways first, then the writer
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


FACTOR_ITEMS = ";".join(f"{code}-Min={10 + i}.1,{code}-Avg={12 + i}.35,{code}-Max={15 + i}.2,{code}-Flag=N"
                        for i, code in enumerate(FACTORS))


def packet(mn: str, n: int) -> bytes:
    """The n-th minute packet of a device, formatted directly (the codec's `encode` validates every field and
    would cost the load generator several times the CPU); `main` checks it equals `encode` byte for byte."""
    when = datetime(2026, 1, 1) + timedelta(minutes=n)
    qn = (QN_EPOCH + timedelta(milliseconds=n)).strftime("%Y%m%d%H%M%S%f")[:17]  # device clock = platform clock
    segment = (f"QN={qn};ST=22;CN=2051;PW={PASSWORD};MN={mn};Flag=5;CP=&&DataTime={when:%Y%m%d%H%M%S};"
               f"{FACTOR_ITEMS}&&").encode("ascii")
    return b"##%04d%s%s\r\n" % (len(segment), segment, crc16_hex(segment).encode("ascii"))


def encoded_packet(mn: str, n: int) -> bytes:
    when = datetime(2026, 1, 1) + timedelta(minutes=n)
    cp = {"DataTime": when.strftime("%Y%m%d%H%M%S")}
    for i, code in enumerate(FACTORS):
        cp |= {f"{code}-Min": f"{10 + i}.1", f"{code}-Avg": f"{12 + i}.35", f"{code}-Max": f"{15 + i}.2",
               f"{code}-Flag": "N"}
    qn = (QN_EPOCH + timedelta(milliseconds=n)).strftime("%Y%m%d%H%M%S%f")[:17]
    return encode(build("2051", cp, version=Version.HJ212_2017, st="22", pw=PASSWORD, mn=mn, qn=qn, reply=True))


class Device:
    """One persistent connection, stop-and-wait: send, read the 9014, record the latency."""

    def __init__(self, mn: str) -> None:
        self.mn, self.n = mn, 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        await self.send(time.perf_counter())  # log-in: one argon2 check on the gateway, not measured

    async def send(self, due: float) -> float:
        assert self.reader is not None and self.writer is not None
        self.n += 1
        frame = packet(self.mn, self.n)
        self.writer.write(frame)
        while True:  # the platform may also send commands (1012 …); only the 9014 for this QN counts
            async with asyncio.timeout(30):  # no task per read, unlike wait_for
                answer = await self.reader.readuntil(b"\r\n")
            if b"CN=9014" in answer and frame[6:29] in answer:
                return time.perf_counter() - due
            if b"CN=9011" in answer:
                raise RuntimeError(f"refused: {answer!r}")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def sustained(devices: list[Device], seconds: float) -> tuple[int, list[float]]:
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def run(device: Device) -> None:
        while (now := time.perf_counter()) < end:
            latencies.append(await device.send(now))

    await asyncio.gather(*(run(d) for d in devices))
    return len(latencies), latencies


async def fixed_rate(devices: list[Device], rate: float, seconds: float) -> tuple[float, list[float]]:
    """Each device sends on its own schedule (rate/len(devices) per second); latency counts from the due time,
    so a gateway that falls behind shows it (no coordinated omission). Returns (achieved packets/s, latencies)."""
    latencies: list[float] = []
    interval = len(devices) / rate
    start = time.perf_counter() + 0.5

    async def run(device: Device, offset: float) -> None:
        k = 0
        while (due := start + offset + k * interval) < start + seconds:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            latencies.append(await device.send(due))
            k += 1

    await asyncio.gather(*(run(d, i * interval / len(devices)) for i, d in enumerate(devices)))
    return len(latencies) / (time.perf_counter() - start), latencies


async def hold(port: int, count: int, active: list[Device], probe_s: float) -> tuple[int, int, int]:
    """Open `count` idle connections, let `active` devices send for `probe_s` meanwhile; return (opened, still
    open afterwards, ACKs of the active devices)."""
    links: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for start in range(0, count, 500):
        batch = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                       for _ in range(start, min(count, start + 500))), return_exceptions=True)
        links += [b for b in batch if isinstance(b, tuple)]
    acks, _ = await sustained(active, probe_s)
    await asyncio.sleep(0.5)
    open_now = sum(1 for reader, writer in links if not reader.at_eof() and not writer.is_closing())
    for _, writer in links:
        writer.close()
    return len(links), open_now, acks


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


async def with_devices(port: int, prefix: str, count: int) -> list[Device]:
    devices = [Device(device_mn(prefix, i)) for i in range(1, count + 1)]
    for start in range(0, count, 50):  # logging in is argon2-bound: a gentle ramp
        await asyncio.gather(*(d.connect(port) for d in devices[start:start + 50]))
    return devices


def run_sustained(db_url: str, prefix: str, devices: int, seconds: float, gateways: int) -> dict[str, float]:
    services = Services(db_url, gateways)
    try:
        async def go() -> tuple[int, list[float], float]:
            fleet = await with_devices(services.port, prefix, devices)
            began = time.perf_counter()
            acked, latencies = await sustained(fleet, seconds)
            acked_in = time.perf_counter() - began
            for d in fleet:
                d.close()
            return acked, latencies, acked_in

        acked, latencies, acked_in = uvloop.run(go())
        began = time.perf_counter() - acked_in
        while committed(db_url, prefix) < acked + devices:
            time.sleep(0.05)
        durable_in = time.perf_counter() - began
    finally:
        services.stop()
    return {"acked_per_s": acked / acked_in, "durable_per_s": acked / durable_in, "p50": pct(latencies, 50),
            "p99": pct(latencies, 99)}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--devices", type=int, default=200)
    args.add_argument("--seconds", type=float, default=15)
    args.add_argument("--rate", type=float, default=5000)
    args.add_argument("--hold", type=int, default=10000)
    opts = args.parse_args()
    assert all(packet(device_mn("D0", 7), n) == encoded_packet(device_mn("D0", 7), n) for n in (1, 59, 1441))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the gateway subprocesses inherit it
    engines = Engines(get_settings())
    engines.start()
    db_url = scratch_database(engines.database_url())
    print(f"{opts.devices} devices, 8-factor 2051 packets ({len(packet('0' * 24, 1))} bytes), {opts.seconds:.0f} s "
          f"per phase; fd limit {soft} -> {hard}; load average {os.getloadavg()[0]:.1f}")
    figures = {}
    for gateways, prefix in ((1, "D1"), (2, "D2")):
        register(db_url, prefix, opts.devices)
        f = run_sustained(db_url, prefix, opts.devices, opts.seconds, gateways)
        figures[gateways] = f
        print(f"sustained, {gateways} gateway process(es): {f['acked_per_s']:8.0f} ACKed packets/s "
              f"({f['acked_per_s'] * len(FACTORS):,.0f} values/s), {f['durable_per_s']:8.0f} packets/s committed "
              f"to PostgreSQL; ACK p50 {f['p50']:.1f} ms, p99 {f['p99']:.1f} ms; "
              f"load average {os.getloadavg()[0]:.1f}")
    print(f"ratio 2 gateway processes / 1 (baseline): {figures[2]['acked_per_s'] / figures[1]['acked_per_s']:.2f}")

    register(db_url, "D3", opts.devices)
    services = Services(db_url, 1)
    try:
        async def latency_and_hold() -> None:
            fleet = await with_devices(services.port, "D3", opts.devices)
            achieved, latencies = await fixed_rate(fleet, opts.rate, opts.seconds)
            print(f"offered {opts.rate:,.0f} packets/s for {opts.seconds:.0f} s: achieved "
                  f"{achieved:,.0f}/s; ACK p50 {pct(latencies, 50):.1f} ms, "
                  f"p99 {pct(latencies, 99):.1f} ms (from the due time); load average {os.getloadavg()[0]:.1f}")
            opened, held, acks = await hold(services.port, opts.hold, fleet[:20], 5.0)
            print(f"connections: {opened:,} idle opened, {held:,} still open after 5 s (plus {len(fleet)} "
                  f"logged in); meanwhile 20 devices got {acks / 5:,.0f} ACKs/s")
            for d in fleet:
                d.close()

        uvloop.run(latency_and_hold())
    finally:
        services.stop()


if __name__ == "__main__":
    main()
