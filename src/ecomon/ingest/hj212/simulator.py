"""Simulated air-quality stations speaking HJ 212-2017 over TCP: minute data (2051) for each simulated minute and
hourly data (2061) at each full hour, every packet asking for a reply (Flag=5), counting the 9014 ACKs.

Values follow a plausible urban day (diurnal cycles, correlated noise) in the units GB 3095 stations report:
µg/m³, CO in mg/m³. Time is compressed: packets go out as fast as the gateway ACKs them.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ecomon.ingest.hj212.codec import Hj212Error, Packet, Version, build, decode, encode
from ecomon.ingest.hj212.codec.flows import new_qn

AIR_ST = "22"  # HJ 212-2017 Table 5: 空气质量监测
TIME_FORMAT = "%Y%m%d%H%M%S"
RAMP_S_PER_DEVICE = 0.02

# factor code → (daily mean, relative diurnal amplitude, hour of the peak, decimals)
AIR_PROFILE: dict[str, tuple[float, float, float, int]] = {
    "a34004": (45.0, 0.35, 8.0, 0),   # PM2.5 µg/m³
    "a34002": (78.0, 0.30, 8.0, 0),   # PM10 µg/m³
    "a21026": (8.0, 0.25, 10.0, 0),   # SO2 µg/m³
    "a21004": (35.0, 0.40, 19.0, 0),  # NO2 µg/m³
    "a05024": (65.0, 0.70, 15.0, 0),  # O3 µg/m³
    "a21005": (0.8, 0.30, 8.0, 2),    # CO mg/m³
}


def minute_values(rng: np.random.Generator, start: datetime, minutes: int) -> dict[str, np.ndarray]:
    """Per factor, one value per minute from `start` (local time)."""
    hours = start.hour + start.minute / 60 + np.arange(minutes) / 60
    values = {}
    for code, (mean, amplitude, peak, decimals) in AIR_PROFILE.items():
        cycle = 1 + amplitude * np.cos(2 * math.pi * (hours - peak) / 24)
        walk = np.cumsum(rng.normal(0, 0.02, minutes))  # slow drift shared by neighbouring minutes
        noise = rng.lognormal(0, 0.08, minutes)
        values[code] = np.round(np.maximum(mean * cycle * np.exp(walk) * noise, 0), decimals)
    return values


@dataclass
class SimResult:
    sent: int = 0
    acked: int = 0
    refused: int = 0
    timeouts: int = 0
    acked_packets: list[Packet] = field(default_factory=list)


def data_packet(cn: str, mn: str, password: str, when: datetime, values: dict[str, float], qn_time: datetime,
                resend: bool = False) -> Packet:
    cp = {"DataTime": when.strftime(TIME_FORMAT)}
    for code, value in values.items():
        cp[f"{code}-Avg"] = f"{value:g}"
        cp[f"{code}-Flag"] = "N"
    return build(cn, cp, version=Version.HJ212_2017, st=AIR_ST, pw=password, mn=mn, qn=new_qn(qn_time), reply=True)


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, packet: Packet, result: SimResult,
                   timeout: float) -> None:
    """Send one packet and wait for its answer (matched by QN)."""
    writer.write(encode(packet))
    await writer.drain()
    result.sent += 1
    try:
        while True:
            answer = decode(await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout), lenient=True)
            if answer.qn != packet.qn:
                continue
            if answer.cn == "9014":
                result.acked += 1
                result.acked_packets.append(packet)
            else:
                result.refused += 1
            return
    except TimeoutError:
        result.timeouts += 1
    except Hj212Error:
        result.refused += 1


async def run_device(host: str, port: int, mn: str, password: str, start: datetime, minutes: int, seed: int,
                     result: SimResult, delay: float = 0.0, timeout: float = 15.0) -> None:
    await asyncio.sleep(delay)
    rng = np.random.default_rng(seed)
    series = minute_values(rng, start, minutes)
    reader, writer = await asyncio.open_connection(host, port)
    qn_clock = datetime.now()
    try:
        for i in range(minutes):
            when = start + timedelta(minutes=i)
            values = {code: float(v[i]) for code, v in series.items()}
            qn_clock += timedelta(milliseconds=1)
            await exchange(reader, writer, data_packet("2051", mn, password, when, values, qn_clock), result, timeout)
            if when.minute == 59 and i >= 59:
                hour = {code: round(float(v[i - 59:i + 1].mean()), AIR_PROFILE[code][3])
                        for code, v in series.items()}
                qn_clock += timedelta(milliseconds=1)
                packet = data_packet("2061", mn, password, when.replace(minute=0), hour, qn_clock)
                await exchange(reader, writer, packet, result, timeout)
    finally:
        writer.close()


def device_mn(prefix: str, index: int) -> str:
    """24-character MN (HJ 212-2017 Table 3) from a prefix and the device number."""
    return f"{prefix}{index:0{24 - len(prefix)}d}"


async def simulate(host: str, port: int, *, devices: int, minutes: int, password: str, mn_prefix: str = "A0",
                   local_tz: str = "Asia/Shanghai", start: datetime | None = None,
                   ramp_s_per_device: float = RAMP_S_PER_DEVICE) -> SimResult:
    """Run `devices` stations concurrently, each sending `minutes` of minute data from `start` (naive local time;
    default: the last `minutes` minutes on the devices' clock)."""
    now = datetime.now(ZoneInfo(local_tz)).replace(tzinfo=None)
    start = (start or now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    result = SimResult()
    # Stations do not all log in within the same millisecond: spread the first packets (each costs the gateway one
    # argon2 verification) over `ramp_s_per_device` each.
    await asyncio.gather(*(run_device(host, port, device_mn(mn_prefix, i), password, start, minutes, i, result,
                                      delay=(i - 1) * ramp_s_per_device) for i in range(1, devices + 1)))
    return result
