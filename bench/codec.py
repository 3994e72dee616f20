"""HJ 212 codec throughput on one core: decode+verify and encode of a typical 8-factor minute packet (2051),
beside a bare CRC pass over the same data segment (the floor any decoder pays) and the ratio to it, and the typed
factor rows the writer builds from CP (`data_view`), for both
implementations: the C accelerator (`codec/_speedups.c`, what `pip install` builds) and the pure-Python reference
(what runs without a compiler). Target: >= 100,000 decodes/s per core.

Run: .venv/bin/python bench/codec.py   (a few seconds; figures are noisy on a shared machine)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from unittest.mock import patch

from ecomon.ingest.hj212.codec import Version, accel, build, data_view, decode, encode, packet
from ecomon.ingest.hj212.codec import cp as cp_module
from ecomon.ingest.hj212.codec.crc import crc16_python

# Ambient-air station (ST=22) minute data: PM2.5, PM10, SO2, NO2, CO, O3, temperature, humidity.
FACTORS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002")


def minute_packet():
    cp = {"DataTime": "20240520210600"}
    for n, code in enumerate(FACTORS):
        cp |= {f"{code}-Min": f"{10 + n}.1", f"{code}-Avg": f"{12 + n}.35", f"{code}-Max": f"{15 + n}.2",
               f"{code}-Flag": "N"}
    return build("2051", cp, version=Version.HJ212_2017, st="22", pw="123456", mn="010000A8900016F000169DC0",
                 qn="20240520210700000", reply=True)


def pure_python() -> AbstractContextManager:
    """The codec as installed without a compiler."""
    stack = ExitStack()
    stack.enter_context(patch.multiple(packet, _speedups=None, crc16=crc16_python))
    stack.enter_context(patch.object(cp_module, "_speedups", None))
    return stack


Work = dict[str, tuple[Callable[[], AbstractContextManager], Callable[[], object]]]


def rates(work: Work, rounds: int = 15, slice_s: float = 0.1) -> dict[str, float]:
    """Calls per second of each operation, best slice of `rounds`; the operations take turns slice by slice, so
    a load spike from other processes hits them alike and the ratios stay comparable on a shared machine."""
    best = dict.fromkeys(work, 0.0)
    for _ in range(rounds):
        for name, (path, call) in work.items():
            with path():
                n, start = 0, time.perf_counter()
                while (elapsed := time.perf_counter() - start) < slice_s:
                    for _ in range(100):
                        call()
                    n += 100
            best[name] = max(best[name], n / elapsed)
    return best


def main() -> None:
    packet_ = minute_packet()
    frame = encode(packet_)
    segment = frame[6:-6]
    paths: dict[str, tuple[Callable[[], AbstractContextManager], Callable[[bytes], int]]] = {
        "Python": (pure_python, crc16_python)}
    if accel.speedups is not None:
        paths["C"] = (nullcontext, accel.speedups.crc16)
    work: Work = {}
    for label, (path, crc) in paths.items():
        with path():
            assert decode(frame) == packet_ and encode(packet_) == frame
        work |= {f"bare CRC pass ({label})": (path, lambda crc=crc: crc(segment)),
                 f"decode + verify strict ({label})": (path, lambda: decode(frame)),
                 f"decode + verify lenient ({label})": (path, lambda: decode(frame, lenient=True)),
                 f"encode ({label})": (path, lambda: encode(packet_)),
                 f"typed rows, data_view ({label})": (path, lambda: data_view(packet_.cp))}
    figures = rates(work)
    print(f"codec path in use: {accel.ACTIVE_PATH}"
          + ("" if accel.speedups is not None else " (C accelerator not built: no compiler at install)"))
    print(f"8-factor 2051 minute packet: {len(frame)} bytes, data segment {len(segment)} bytes, "
          f"{len(packet_.cp)} CP items")
    print(f"{'operation':<38}{'packets/s':>12}{'µs/packet':>11}{'ratio to CRC':>14}{'C / Python':>12}")
    for name, value in figures.items():
        label = name[name.rindex("(") + 1:-1]
        crc_rate = figures[f"bare CRC pass ({label})"]
        python_rate = figures[name.replace("(C)", "(Python)")]
        speedup = f"{value / python_rate:>12.2f}" if label == "C" else ""
        print(f"{name:<38}{value:>12,.0f}{1e6 / value:>11.2f}{value / crc_rate:>14.3f}{speedup}")
    if "C" in paths:
        verdict = "met" if figures["decode + verify strict (C)"] >= 100_000 else "NOT met"
        print(f"target >= 100,000 decodes/s per core: {verdict}")


if __name__ == "__main__":
    main()
