"""The simulator against a small in-test platform: faults arrive as configured (bad CRCs rejected, split writes
reassembled, reconnect storms, pauses that leave gaps), every ACK is counted, and the device follows the flows:
1012 sets its clock, a history request (§6.5.3) gets 9011, the re-sent window and 9012."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime

from ecomon.ingest.hj212.codec import CrcMismatch, Hj212Error, Packet, Version, build, decode, encode
from ecomon.ingest.hj212.codec.flows import replies
from ecomon.ingest.hj212.simulator import Faults, SimResult, run_stations, synthetic_stations

START = datetime(2026, 3, 1, 8, 0)


class Platform:
    """Answers uploads per the standard; on the 12th minute packet of the first device it sets the device's time
    (1012) and asks for the paused minutes 08:08-08:09 again (2051 with BeginTime/EndTime)."""

    def __init__(self) -> None:
        self.data: list[Packet] = []
        self.answers: list[Packet] = []
        self.crc_errors = 0
        self.connections = 0
        self.asked = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                line = await reader.readuntil(b"\r\n")
                try:
                    packet = decode(line)
                except CrcMismatch:
                    self.crc_errors += 1
                    continue
                except Hj212Error as exc:
                    raise AssertionError(f"simulator sent an invalid frame: {exc}") from exc
                if packet.cn in ("9011", "9012"):
                    self.answers.append(packet)
                    continue
                self.data.append(packet)
                for answer in replies(packet):
                    writer.write(encode(answer))
                if not self.asked and packet.mn and packet.mn.endswith("1") and packet.cp["DataTime"] == \
                        "20260301081200":
                    self.asked = True
                    for cn, cp in (("1012", {"SystemTime": "20260301081300"}),
                                   ("2051", {"BeginTime": "20260301080800", "EndTime": "20260301080900"})):
                        writer.write(encode(build(cn, cp, version=Version.HJ212_2017, st="22", pw=packet.pw or "",
                                                  mn=packet.mn, qn=f"2026030108130000{cn[0]}", reply=True)))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def test_faults_flows_and_ack_counting() -> None:
    platform = Platform()

    async def scenario() -> SimResult:
        server = await asyncio.start_server(platform.handle, "127.0.0.1", 0, family=socket.AF_INET)
        port = server.sockets[0].getsockname()[1]
        stations = synthetic_stations(2, 30, START, password="Pw1234", mn_prefix="E0", kinds=("air", "cems"))
        faults = Faults(bad_crc=0.3, split=0.3, reconnect_every=10, pause_every=10, pause_minutes=2)
        async with server:
            return await run_stations("127.0.0.1", port, stations, start=START, minutes=30, faults=faults,
                                      ramp_s_per_device=0, timeout=5)

    result = asyncio.run(scenario())
    assert result.sent == result.acked == len(platform.data)
    assert result.timeouts == result.refused == 0
    assert result.bad_crc_sent == platform.crc_errors > 0
    assert result.split_sent > 0
    assert result.reconnects == 4 and platform.connections == 2 + 4  # minutes 10 and 20, both devices
    assert result.skipped == 12  # minutes 8, 9, 18, 19, 28, 29 of each device
    by_device: dict[str, list[str]] = {}
    for p in platform.data:
        by_device.setdefault(p.mn or "", []).append(p.cp["DataTime"])
    first, second = sorted(by_device)
    assert len(by_device[second]) == 24
    assert by_device[first].count("20260301080800") == 1  # the gap, filled on request
    assert (result.requests, result.clock_set, result.resent) == (2, 1, 2)
    assert [(a.cn, a.qn) for a in platform.answers] == [
        ("9011", "20260301081300001"), ("9012", "20260301081300001"),
        ("9011", "20260301081300002"), ("9012", "20260301081300002")]
    cems = next(p for p in platform.data if p.st == "31")
    assert {"a21026-ZsAvg", "a21026-Cou", "a19001-Avg", "a00000-Avg", "a01012-Avg"} <= cems.cp.keys()
    assert {p.st for p in platform.data} == {"22", "31"}
