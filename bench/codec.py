"""HJ 212 codec throughput on one core: decode+verify and encode of a typical 8-factor minute packet (2051),
beside a bare CRC pass over the same data segment (the floor any decoder pays) and the ratio to it.

Run: .venv/bin/python bench/codec.py   (a few seconds; figures are noisy on a shared machine)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ecomon.ingest.hj212.codec import Version, build, decode, encode
from ecomon.ingest.hj212.codec.crc import crc16

# Ambient-air station (ST=22) minute data: PM2.5, PM10, SO2, NO2, CO, O3, temperature, humidity.
FACTORS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002")


def minute_packet():
    cp = {"DataTime": "20240520210600"}
    for n, code in enumerate(FACTORS):
        cp |= {f"{code}-Min": f"{10 + n}.1", f"{code}-Avg": f"{12 + n}.35", f"{code}-Max": f"{15 + n}.2",
               f"{code}-Flag": "N"}
    return build("2051", cp, version=Version.HJ212_2017, st="22", pw="123456", mn="010000A8900016F000169DC0",
                 qn="20240520210700000", reply=True)


def rates(work: dict[str, Callable[[], object]], rounds: int = 15, slice_s: float = 0.1) -> dict[str, float]:
    """Calls per second of each operation, best slice of `rounds`; the operations take turns slice by slice, so
    a load spike from other processes hits them alike and the ratios stay comparable on a shared machine."""
    best = dict.fromkeys(work, 0.0)
    for _ in range(rounds):
        for name, call in work.items():
            n, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < slice_s:
                for _ in range(100):
                    call()
                n += 100
            best[name] = max(best[name], n / elapsed)
    return best


def main() -> None:
    packet = minute_packet()
    frame = encode(packet)
    segment = frame[6:-6]
    assert decode(frame) == packet
    figures = rates({"bare CRC pass (limit)": lambda: crc16(segment),
                     "decode + verify (strict)": lambda: decode(frame),
                     "decode + verify (lenient)": lambda: decode(frame, lenient=True),
                     "encode": lambda: encode(packet)})
    crc_rate = figures["bare CRC pass (limit)"]
    print(f"8-factor 2051 minute packet: {len(frame)} bytes, data segment {len(segment)} bytes, "
          f"{len(packet.cp)} CP items")
    print(f"{'operation':<28}{'packets/s':>12}{'µs/packet':>11}{'ratio to CRC':>14}")
    for name, value in figures.items():
        print(f"{name:<28}{value:>12,.0f}{1e6 / value:>11.2f}{value / crc_rate:>14.2f}")


if __name__ == "__main__":
    main()
