"""The HJ 212 writer alone: CPU per stored packet in the writer (Python) and in its PostgreSQL backend.

CPU time, not wall time, so the figures hold on a busy shared machine. The frames are what the gateway puts on
the bus for the 8-factor minute packets of `bench/gateway.py` (messages of a few frames, many messages per
transaction, as the writer fetches them), written through `writer.store_batches` into a scratch database
`ecomon_bench_writer`. Baseline in the same run: the same frames from devices bound to no site, so only the
archive (raw_frame, gateway_batch, device_state) is written; the ratio says what the observations add.

Run: .venv/bin/python bench/hj212_writer.py [--devices 500] [--frames 270] [--per-message 5] [--batches 40]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from gateway import packet, register  # the packets and registry of bench/gateway.py
from scratch import scratch_database

from ecomon.config import get_settings
from ecomon.ingest.hj212.stream import FrameRecord, encode_batch
from ecomon.ingest.hj212.writer import SeriesCache, store_batches
from ecomon.runtime.engines import Engines
from ecomon.store.db import connect

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rpartition(b")")[2].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S


def messages(devices: list[tuple[str, int, int | None]], frames: int, per_message: int, batches: int, tag: str
             ) -> list[list[tuple[str, bytes]]]:
    """`batches` transactions of `frames` frames each, round-robin over the devices (packet n of each in turn)."""
    sent = itertools.count()
    out = []
    for b in range(batches):
        records = []
        for _ in range(frames):
            k = next(sent)
            mn, device_id, site_id = devices[k % len(devices)]
            frame = packet(mn, k // len(devices) + 1)
            records.append(FrameRecord(datetime.now(UTC).isoformat(), "127.0.0.1:5000", f"{tag}-{k % len(devices)}",
                                       frame.decode("latin-1"), device_id, site_id, mn, "2051", None, None))
        out.append([(f"{tag}-{b}-{m}", encode_batch(records[i:i + per_message]))
                    for m, i in enumerate(range(0, frames, per_message))])
    return out


def measure(url: str, batches: list[list[tuple[str, bytes]]], tz: str) -> tuple[float, float, float]:
    """(writer CPU s, PostgreSQL backend CPU s, wall s) over all transactions after the first (warm-up)."""
    series = SeriesCache()
    with connect(url) as conn:  # as the writer connects: each store_batches is its own transaction
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.commit()
        store_batches(conn, batches[0], tz, series)
        cpu, pg, wall = time.process_time(), backend_cpu(pid), time.perf_counter()
        for batch in batches[1:]:
            store_batches(conn, batch, tz, series)
        return time.process_time() - cpu, backend_cpu(pid) - pg, time.perf_counter() - wall


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--devices", type=int, default=500)
    args.add_argument("--frames", type=int, default=270, help="frames per transaction")
    args.add_argument("--per-message", type=int, default=5, help="frames per bus message")
    args.add_argument("--batches", type=int, default=40, help="transactions per measurement")
    opts = args.parse_args()
    settings = get_settings()
    engines = Engines(settings)
    engines.start()
    url = scratch_database(engines.database_url(), "ecomon_bench_writer")
    register(url, "B", opts.devices)  # MN of hex digits, as devices send (EPC-96)
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT mn, id, site_id FROM device WHERE mn LIKE 'B%' ORDER BY mn").fetchall()
    placed = [(mn, device_id, site_id) for mn, device_id, site_id in rows]
    unplaced = [(mn, device_id, None) for mn, device_id, _ in rows]
    print(f"{opts.devices} devices, {opts.frames} frames per transaction in messages of {opts.per_message}, "
          f"{opts.batches - 1} transactions measured; load average {os.getloadavg()[0]:.1f}")
    results = {}
    for tag, (name, devices) in enumerate((("archive only (baseline)", unplaced), ("archive + 8 observations", placed))):
        cpu, pg, wall = measure(url, messages(devices, opts.frames, opts.per_message, opts.batches, f"m{tag}"),
                                settings.timezone)
        n = opts.frames * (opts.batches - 1)
        results[name] = (cpu + pg) / n
        print(f"{name:<26} writer {cpu / n * 1e6:6.1f} µs + PostgreSQL {pg / n * 1e6:6.1f} µs CPU per packet "
              f"= {(cpu + pg) / n * 1e6:6.1f} µs; {n / wall:,.0f} packets/s wall")
    base, full = results.values()
    print(f"ratio with observations / archive only: {full / base:.2f}")


if __name__ == "__main__":
    main()
