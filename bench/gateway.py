"""HJ 212 gateway end to end on this machine: simulated stations → gateway → JetStream → writer → PostgreSQL.

Two runs on the same engines, each with its own stream: batched (frames from all connections gathered for a few
ms into one JetStream message, the shipped setting) and the baseline of one JetStream publish-ack per frame. Prints
ACKed packets/s, seconds until the last datum is committed, and the ratio batched/baseline.

Run: .venv/bin/python bench/gateway.py [devices] [minutes]   (uses a scratch database `ecomon_bench`; < 1 min;
figures are noisy on a shared 2-core machine, and the simulator shares the cores with gateway and writer)
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
import uuid
from datetime import datetime

import psycopg

from ecomon.config import get_settings
from ecomon.ingest.hj212.gateway.devices import hash_password
from ecomon.ingest.hj212.gateway.server import BatchLimits, serve
from ecomon.ingest.hj212.simulator import device_mn, simulate
from ecomon.ingest.hj212.writer import run_writer
from ecomon.registry.catalogue import parameters
from ecomon.registry.store import load_parameters
from ecomon.runtime.engines import Engines
from ecomon.store.db import migrate

PASSWORD = "123456"
TZ = "Asia/Shanghai"


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


def stored(url: str, prefix: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM raw_frame WHERE mn LIKE %s", (prefix + "%",)).fetchone()
    return int(row[0]) if row else 0


async def run(nats_url: str, db_url: str, prefix: str, devices: int, minutes: int, batch: BatchLimits
              ) -> tuple[float, float, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stream = f"BENCH{uuid.uuid4().hex[:8].upper()}"
    started, stop = asyncio.Event(), asyncio.Event()
    gateway = asyncio.create_task(serve("127.0.0.1", port, nats_url=nats_url, database_url=db_url, local_tz=TZ,
                                        stream=stream, batch=batch, started=started))
    writer = asyncio.create_task(run_writer(nats_url, db_url, stream=stream, local_tz=TZ, stop=stop))
    await started.wait()
    # Log every station in first (one argon2 check each, cached), then measure the steady state without a ramp.
    await simulate("127.0.0.1", port, devices=devices, minutes=1, password=PASSWORD, mn_prefix=prefix,
                   local_tz=TZ, start=datetime(2025, 12, 31))
    began = time.perf_counter()
    result = await simulate("127.0.0.1", port, devices=devices, minutes=minutes, password=PASSWORD,
                            mn_prefix=prefix, local_tz=TZ, start=datetime(2026, 1, 1), ramp_s_per_device=0)
    acked_in = time.perf_counter() - began
    while await asyncio.to_thread(stored, db_url, prefix) < result.sent + devices:
        await asyncio.sleep(0.05)
    committed_in = time.perf_counter() - began
    stop.set()
    gateway.cancel()
    await asyncio.gather(gateway, writer, return_exceptions=True)
    assert result.acked == result.sent, (result.sent, result.acked, result.refused, result.timeouts)
    return acked_in, committed_in, result.acked


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    devices = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    minutes = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    engines = Engines(get_settings())
    engines.start()
    db_url = scratch_database(engines.database_url())
    figures = {}
    for name, prefix, batch in (("batched (3 ms linger)", "C1", BatchLimits()),
                                ("baseline: 1 publish per frame", "C2", BatchLimits(max_frames=1))):
        register(db_url, prefix, devices)
        acked_in, committed_in, acked = asyncio.run(run(engines.nats_url(), db_url, prefix, devices, minutes, batch))
        figures[name] = acked / acked_in
        print(f"{name:32s} {acked} packets ({devices} devices x {minutes + minutes // 60} packets): "
              f"{acked / acked_in:8.0f} ACKed/s, all committed after {committed_in:.2f} s")
    batched, baseline = figures.values()
    print(f"ratio batched / baseline: {batched / baseline:.2f}")


if __name__ == "__main__":
    main()
