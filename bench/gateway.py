"""HJ 212 end to end on this machine: load generator → gateway process(es) → JetStream → writer → PostgreSQL.

The gateway(s) and the writer run as the services do (`ecomon hj212 serve` / `writer` subprocesses); this process
is the load: persistent device connections, 8-factor minute packets (2051, Flag=5), each ACK timed from the moment
the packet was due. Phases:
1. sustained: every device sends as fast as its ACKs come back → ACKed packets/s and values/s, and the time until
   the writer has committed the last frame (durable throughput), with 1 gateway process (baseline) and with 2
   sharing the port (SO_REUSEPORT); ratio 2/1. For each run, the CPU time (utime + stime) of the load generator,
   the gateways, the writers, nats-server and the PostgreSQL backends over that window, per ACKed packet, and what
   the rest of the machine used meanwhile (`--profile DIR`: py-spy stacks of a gateway and a writer too);
2. latency at a fixed offered rate (default 5,000 packets/s): ACK p50/p99;
3. connections held: N idle device connections opened at once (fd limit raised), counted open after a pause.

Run: .venv/bin/python bench/gateway.py [--devices 200] [--seconds 15] [--rate 5000 (0: skip)] [--hold 10000]
    [--writers 1] [--gateways 1 2] [--profile DIR]
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
from scratch import scratch_database

from ecomon.config import get_settings
from ecomon.ingest.hj212.codec import Version, build, crc16_hex, encode
from ecomon.ingest.hj212.gateway.devices import hash_password
from ecomon.ingest.hj212.simulator import device_mn
from ecomon.registry.catalogue import parameters
from ecomon.registry.store import load_parameters
from ecomon.runtime.engines import Engines

PASSWORD = "123456"
ECOMON = str(Path(sys.executable).with_name("ecomon"))
QN_EPOCH = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
FACTORS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002")  # 8 values/packet


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


def committed(url: str, prefix: str, *, archived: bool = False) -> int:
    """Frames of the prefix's devices the writer has committed: polled from device_state (a row per device,
    written in the same transaction as the frames), or counted in the raw_frame archive itself (a scan: once)."""
    query = ("SELECT count(*) FROM raw_frame WHERE mn LIKE %s" if archived else
             "SELECT coalesce(sum(s.frames_total), 0) FROM device_state s JOIN device d ON d.id = s.device_id "
             "WHERE d.mn LIKE %s")
    with psycopg.connect(url) as conn:
        row = conn.execute(query, (prefix + "%",)).fetchone()
    return int(row[0]) if row else 0


TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process (proc(5) fields 14 and 15), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rpartition(b")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def child_pids(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    if int(fh.read().rpartition(b")")[2].split()[1]) == parent:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def machine_busy_ticks() -> int:
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    return sum(values) - values[3] - values[4]  # all but idle and iowait


class CpuMeter:
    """CPU time per process group over a window (utime + stime before/after), and what the rest of the machine
    (other sessions) used meanwhile: where the cores go, independent of how loaded the machine is."""

    def __init__(self, services: Services, engines: Engines) -> None:
        postmaster = int((engines.postgres.data_dir / "postmaster.pid").read_text().split()[0])
        self.groups = {"load generator": lambda: [os.getpid()],
                       "gateway": lambda: [p.pid for p in services.gateways],
                       "writer": lambda: [p.pid for p in services.writers],
                       "nats-server": lambda: [engines.nats.pid()],
                       "postgres": lambda: [postmaster, *child_pids(postmaster)]}

    def _sample(self) -> dict[str, dict[int, int]]:
        return {name: {pid: cpu_ticks(pid) for pid in pids()} for name, pids in self.groups.items()}

    def start(self) -> None:
        self.began, self.before, self.busy = time.perf_counter(), self._sample(), machine_busy_ticks()

    def stop(self) -> dict[str, float]:
        """CPU seconds per group (and "other processes", "wall") over the window."""
        after, wall, busy = self._sample(), time.perf_counter() - self.began, machine_busy_ticks() - self.busy
        used = {name: sum(t - self.before[name].get(pid, 0) for pid, t in ticks.items()) * TICK_S
                for name, ticks in after.items()}
        return {**used, "other processes": busy * TICK_S - sum(used.values()), "wall": wall}


def cpu_lines(cpu: dict[str, float], packets: int) -> str:
    wall = cpu["wall"]
    return "\n".join(f"    {name:<16} {seconds / wall:5.2f} cores, {seconds / packets * 1e6:7.1f} µs CPU per packet"
                     for name, seconds in cpu.items() if name != "wall")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Services:
    """Writer and gateway subprocesses on one stream, as the supervisor runs them."""

    def __init__(self, db_url: str, gateways: int, writers: int = 1) -> None:
        self.stream = f"BENCH{uuid.uuid4().hex[:8].upper()}"
        self.port = free_port()
        env = {**os.environ, "ECOMON_DATABASE_URL": db_url, "ECOMON_LOG_LEVEL": "WARNING"}
        self.writers = [subprocess.Popen([ECOMON, "hj212", "writer", "--stream", self.stream], env=env)
                        for _ in range(writers)]
        self.gateways = [subprocess.Popen([ECOMON, "hj212", "serve", "--host", "127.0.0.1", "--port",
                                           str(self.port), "--stream", self.stream], env=env)
                         for _ in range(gateways)]
        self.procs = self.writers + self.gateways
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


class Device(asyncio.Protocol):
    """One persistent connection, stop-and-wait: send, wait for the 9014 of that QN, record the latency.

    A bare protocol, not streams: the load generator shares the two cores with what it measures, so each packet
    costs it one write and one callback (no reader task, no timeout context per packet; `sustained` and
    `fixed_rate` bound the phase as a whole). Every 9014 is still matched to its packet's QN and counted."""

    def __init__(self, mn: str) -> None:
        self.mn, self.n = mn, 0
        self.transport: asyncio.Transport | None = None
        self._buffer = b""
        self._qn = b""
        self._answer: asyncio.Future[None] | None = None

    async def connect(self, port: int) -> None:
        await asyncio.get_running_loop().create_connection(lambda: self, "127.0.0.1", port)
        await asyncio.wait_for(self.send(time.perf_counter()), 60)  # log-in: one argon2 check, not measured

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n")) >= 0:
            answer, self._buffer = self._buffer[:end], self._buffer[end + 2:]
            waiting = self._answer
            if waiting is None or waiting.done():
                continue  # the platform may also send commands (1012 …); only the 9014 for this QN counts
            if b"CN=9014" in answer and self._qn in answer:
                waiting.set_result(None)
            elif b"CN=9011" in answer:
                waiting.set_exception(RuntimeError(f"refused: {answer!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(ConnectionError(f"{self.mn}: connection lost ({exc})"))

    async def send(self, due: float) -> float:
        assert self.transport is not None
        self.n += 1
        frame = packet(self.mn, self.n)
        self._qn = frame[6:29]  # "QN=" and the 17 digits, echoed in the 9014
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(frame)
        await self._answer
        return time.perf_counter() - due

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def sustained(devices: list[Device], seconds: float) -> tuple[int, list[float]]:
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def run(device: Device) -> None:
        while (now := time.perf_counter()) < end:
            latencies.append(await device.send(now))

    async with asyncio.timeout(seconds + 60):  # a 9014 that never comes fails the phase, not one packet
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

    async with asyncio.timeout(seconds + 60):
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


def profile(services: Services, seconds: float, into: Path) -> list[subprocess.Popen]:
    """py-spy (if installed) samples the first gateway and writer: collapsed stacks in `into`."""
    spy = Path(sys.executable).with_name("py-spy")
    into.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([str(spy), "record", "-p", str(proc.pid), "-d", str(int(seconds)), "-r", "200",
                              "--nonblocking", "-f", "raw", "-o", str(into / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, proc in (("gateway", services.gateways[0]), ("writer", services.writers[0]))]


def run_sustained(db_url: str, engines: Engines, prefix: str, devices: int, seconds: float, gateways: int,
                  writers: int, profile_into: Path | None = None) -> dict:
    services = Services(db_url, gateways, writers)
    meter = CpuMeter(services, engines)
    spies: list[subprocess.Popen] = []
    try:
        async def go() -> tuple[int, list[float], float]:
            fleet = await with_devices(services.port, prefix, devices)
            meter.start()
            if profile_into:
                spies.extend(profile(services, seconds - 1, profile_into / f"{gateways}-gateways"))
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
        if committed(db_url, prefix, archived=True) < acked + devices:
            raise RuntimeError("device_state counts frames that raw_frame does not hold")
        cpu = meter.stop()  # the window in which these packets were sent, ACKed and committed
        for spy in spies:
            spy.wait()
    finally:
        services.stop()
    return {"acked_per_s": acked / acked_in, "durable_per_s": acked / durable_in, "p50": pct(latencies, 50),
            "p99": pct(latencies, 99), "cpu": cpu, "acked": acked}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--devices", type=int, default=200)
    args.add_argument("--seconds", type=float, default=15)
    args.add_argument("--rate", type=float, default=5000)
    args.add_argument("--hold", type=int, default=10000)
    args.add_argument("--writers", type=int, default=1, help="writer processes on the one durable consumer")
    args.add_argument("--gateways", type=int, nargs="+", default=[1, 2], help="gateway processes per run")
    args.add_argument("--profile", type=Path, help="directory for py-spy stacks of a gateway and a writer")
    opts = args.parse_args()
    assert all(packet(device_mn("D0", 7), n) == encoded_packet(device_mn("D0", 7), n) for n in (1, 59, 1441))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the gateway subprocesses inherit it
    engines = Engines(get_settings())
    engines.start()
    db_url = scratch_database(engines.database_url(), "ecomon_bench")
    print(f"{opts.devices} devices, 8-factor 2051 packets ({len(packet('0' * 24, 1))} bytes), {opts.seconds:.0f} s "
          f"per phase; fd limit {soft} -> {hard}; load average {os.getloadavg()[0]:.1f}")
    figures = {}
    for run, gateways in enumerate(opts.gateways, start=1):
        prefix = f"D{run}"
        register(db_url, prefix, opts.devices)
        f = run_sustained(db_url, engines, prefix, opts.devices, opts.seconds, gateways, opts.writers,
                          opts.profile)
        figures[gateways] = f
        print(f"sustained, {gateways} gateway process(es), {opts.writers} writer(s): {f['acked_per_s']:8.0f} ACKed "
              f"packets/s ({f['acked_per_s'] * len(FACTORS):,.0f} values/s), {f['durable_per_s']:8.0f} packets/s "
              f"committed to PostgreSQL; ACK p50 {f['p50']:.1f} ms, p99 {f['p99']:.1f} ms; "
              f"load average {os.getloadavg()[0]:.1f}; CPU until the last one committed:\n"
              f"{cpu_lines(f['cpu'], f['acked'])}")
    if 1 in figures and 2 in figures:
        print(f"ratio 2 gateway processes / 1 (baseline): "
              f"{figures[2]['acked_per_s'] / figures[1]['acked_per_s']:.2f}")
    if opts.rate <= 0:
        return

    register(db_url, "DA", opts.devices)
    services = Services(db_url, 1, opts.writers)
    try:
        async def latency_and_hold() -> None:
            fleet = await with_devices(services.port, "DA", opts.devices)
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
