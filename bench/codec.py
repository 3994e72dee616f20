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


def rate(work: Callable[[], object], seconds: float = 1.5) -> float:
    """Best of three runs of calls per second, each run about seconds/3 long."""
    best = 0.0
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            for _ in range(500):
                work()
            n += 500
        best = max(best, n / elapsed)
    return best


def main() -> None:
    packet = minute_packet()
    frame = encode(packet)
    segment = frame[6:-6]
    assert decode(frame) == packet
    crc_rate = rate(lambda: crc16(segment))
    rows = [("bare CRC pass (limit)", crc_rate), ("decode + verify (strict)", rate(lambda: decode(frame))),
            ("decode + verify (lenient)", rate(lambda: decode(frame, lenient=True))),
            ("encode", rate(lambda: encode(packet)))]
    print(f"8-factor 2051 minute packet: {len(frame)} bytes, data segment {len(segment)} bytes, "
          f"{len(packet.cp)} CP items")
    print(f"{'operation':<28}{'packets/s':>12}{'µs/packet':>11}{'ratio to CRC':>14}")
    for name, value in rows:
        print(f"{name:<28}{value:>12,.0f}{1e6 / value:>11.2f}{value / crc_rate:>14.2f}")


if __name__ == "__main__":
    main()
