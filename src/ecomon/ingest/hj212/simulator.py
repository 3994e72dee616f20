"""Simulated field units speaking HJ 212-2017 over TCP: ambient-air stations, surface-water stations and enterprise
CEMS, or the real Beijing data replayed as its 12 stations. Minute data (2051) for each minute and hourly data
(2061) at each full hour, every packet asking for a reply (Flag=5); every 9014 ACK is counted, so a test can prove
"acknowledged ⇒ stored".

A device behaves as the standard's flows expect (HJ 212-2017 §6.5-6.7): it answers a platform request with 9011,
executes it and ends with 9012: 1012 sets its clock, a history request (2051/2061 with BeginTime/EndTime, §6.5.3)
makes it upload the window again. Optional faults: frames with a bad CRC, frames split over several TCP writes,
reconnect storms, a drifting clock, pauses that leave gaps.

Time: by default packets go out as fast as the gateway ACKs them; with `Pace(speed)` a simulated minute lasts
60/speed seconds until the simulated clock reaches the wall clock, then data follows real time (never ahead of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

from ecomon.ingest.hj212.codec import Hj212Error, Packet, Version, build, decode, encode
from ecomon.ingest.hj212.codec.cp import parse_time
from ecomon.ingest.hj212.codec.flows import new_qn

TIME_FORMAT = "%Y%m%d%H%M%S"
RAMP_S_PER_DEVICE = 0.02
MINUTE = timedelta(minutes=1)
ST = {"air": "22", "water": "21", "cems": "31"}  # HJ 212-2017 Table 5: 空气质量 / 地表水质量 / 大气环境污染源
AIR_ST = ST["air"]

# factor code → (daily mean, relative diurnal amplitude, hour of the peak, decimals), in the units stations report.
AIR_PROFILE: dict[str, tuple[float, float, float, int]] = {
    "a34004": (45.0, 0.35, 8.0, 0),   # PM2.5 µg/m³
    "a34002": (78.0, 0.30, 8.0, 0),   # PM10 µg/m³
    "a21026": (8.0, 0.25, 10.0, 0),   # SO2 µg/m³
    "a21004": (35.0, 0.40, 19.0, 0),  # NO2 µg/m³
    "a05024": (65.0, 0.70, 15.0, 0),  # O3 µg/m³
    "a21005": (0.8, 0.30, 8.0, 2),    # CO mg/m³
}
WATER_PROFILE: dict[str, tuple[float, float, float, int]] = {  # GB 3838 class II-III river
    "w01001": (7.6, 0.03, 15.0, 2),   # pH
    "w01009": (7.5, 0.15, 15.0, 2),   # dissolved oxygen mg/L (photosynthesis: afternoon peak)
    "w01010": (18.0, 0.08, 16.0, 1),  # water temperature °C
    "w01014": (420.0, 0.04, 12.0, 0),  # conductivity µS/cm
    "w01003": (12.0, 0.25, 8.0, 1),   # turbidity NTU
    "w01019": (3.5, 0.10, 10.0, 2),   # permanganate index mg/L
    "w21003": (0.45, 0.20, 7.0, 3),   # ammonia nitrogen mg/L
    "w21011": (0.08, 0.20, 7.0, 3),   # total phosphorus mg/L
    "w21001": (1.6, 0.10, 7.0, 2),    # total nitrogen mg/L
}
CEMS_PROFILE: dict[str, tuple[float, float, float, int]] = {  # coal-fired boiler stack (HJ 75 CEMS)
    "a21026": (35.0, 0.10, 11.0, 1),  # SO2 mg/m³
    "a21002": (80.0, 0.10, 11.0, 1),  # NOx mg/m³
    "a34013": (8.0, 0.15, 11.0, 1),   # particulate mg/m³
    "a19001": (9.5, 0.05, 11.0, 2),   # O2 %
    "a01012": (120.0, 0.05, 14.0, 1),  # flue gas temperature °C
    "a01011": (12.0, 0.08, 11.0, 2),  # flue gas velocity m/s
    "a01013": (0.35, 0.10, 11.0, 3),  # flue gas static pressure kPa
    "a00000": (95.0, 0.08, 11.0, 1),  # flue gas flow m³/s
}
PROFILES = {"air": AIR_PROFILE, "water": WATER_PROFILE, "cems": CEMS_PROFILE}
CEMS_POLLUTANTS = ("a21026", "a21002", "a34013")
REFERENCE_O2 = 6.0  # GB 13223-2011 §4: concentrations of coal-fired units are converted to 6 % O2 (折算浓度)


def minute_values(rng: np.random.Generator, start: datetime, minutes: int,
                  profile: dict[str, tuple[float, float, float, int]] = AIR_PROFILE) -> dict[str, np.ndarray]:
    """Per factor, one value per minute from `start` (local time): diurnal cycle × slow drift × noise."""
    hours = start.hour + start.minute / 60 + np.arange(minutes) / 60
    values = {}
    for code, (mean, amplitude, peak, decimals) in profile.items():
        cycle = 1 + amplitude * np.cos(2 * math.pi * (hours - peak) / 24)
        walk = np.cumsum(rng.normal(0, 0.02, minutes))  # slow drift shared by neighbouring minutes
        noise = rng.lognormal(0, 0.08, minutes)
        values[code] = np.round(np.maximum(mean * cycle * np.exp(walk) * noise, 0), decimals)
    return values


def cems_items(values: dict[str, float], minutes: int) -> dict[str, float]:
    """Add the converted concentration (ZsAvg, at `REFERENCE_O2`) and the emitted mass (Cou, kg over `minutes`)
    of each pollutant, as CEMS report them (HJ 212-2017 Table B.2, HJ 75-2017)."""
    o2 = min(values.get("a19001", 21.0), 20.0)
    flow = values.get("a00000", 0.0)
    extra = {}
    for code in CEMS_POLLUTANTS:
        if code in values:
            extra[f"{code}-ZsAvg"] = round(values[code] * (21 - REFERENCE_O2) / (21 - o2), 1)
            extra[f"{code}-Cou"] = round(values[code] * flow * 60 * minutes / 1e6, 3)
    return extra


@dataclass
class SimResult:
    sent: int = 0
    acked: int = 0
    refused: int = 0
    timeouts: int = 0
    bad_crc_sent: int = 0
    split_sent: int = 0
    reconnects: int = 0
    skipped: int = 0  # minutes held back by a pause (a gap the platform may ask for)
    resent: int = 0  # packets uploaded again on the platform's history request
    requests: int = 0  # platform requests answered (9011 + 9012)
    clock_set: int = 0
    acked_packets: list[Packet] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if k != "acked_packets"}


@dataclass(frozen=True)
class Faults:
    """Deviations a real network and real devices produce; all off by default."""

    bad_crc: float = 0.0  # share of packets first sent with a corrupted CRC (no ACK; then sent correctly)
    split: float = 0.0  # share of packets written in 2-3 TCP segments with pauses in between
    reconnect_every: int = 0  # minutes: every device drops and reopens its connection at once (a storm)
    clock_drift_s: float = 0.0  # device clock ahead (+) or behind (-) until the platform sets it (1012)
    pause_every: int = 0  # minutes: a pause of `pause_minutes` each period leaves a gap
    pause_minutes: int = 0

    def paused(self, index: int) -> bool:
        return bool(self.pause_every and self.pause_minutes
                    and index % self.pause_every >= self.pause_every - self.pause_minutes)


class Pace:
    """When simulated time `t` may be sent: at `speed` × real time from the start, but never before the minute or
    hour it covers has ended on the wall clock (local time of `zone`). `speed=None`: as fast as possible."""

    def __init__(self, speed: float | None, start: datetime, zone: ZoneInfo) -> None:
        self.speed, self.start, self.zone = speed, start, zone
        self._loop_start = asyncio.get_running_loop().time()
        self._wall_start = datetime.now(zone).replace(tzinfo=None)

    async def until(self, ends: datetime) -> None:
        if self.speed is None:
            return
        due = max(self._loop_start + (ends - self.start).total_seconds() / self.speed,
                  self._loop_start + (ends - self._wall_start).total_seconds())
        delay = due - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)


class Feed(Protocol):
    """Values of one device: per minute and per hour (None when the source has nothing for that time)."""

    def minute(self, when: datetime) -> dict[str, float] | None: ...

    def hour(self, start: datetime) -> dict[str, float] | None: ...


class SyntheticFeed(Feed):
    """Profile values over a fixed window; the hour value is the mean of its minutes (HJ 212-2017 C.27)."""

    def __init__(self, kind: str, seed: int, start: datetime, minutes: int) -> None:
        self.kind, self.start, self.minutes = kind, start, minutes
        self.profile = PROFILES[kind]
        self.series = minute_values(np.random.default_rng(seed), start, minutes, self.profile)

    def _index(self, when: datetime) -> int:
        return int((when - self.start) / MINUTE)

    def minute(self, when: datetime) -> dict[str, float] | None:
        i = self._index(when)
        if not 0 <= i < self.minutes:
            return None
        values = {code: float(v[i]) for code, v in self.series.items()}
        return values | cems_items(values, 1) if self.kind == "cems" else values

    def hour(self, start: datetime) -> dict[str, float] | None:
        i = self._index(start)
        if i < 0 or i + 60 > self.minutes:
            return None
        values = {code: round(float(v[i:i + 60].mean()), self.profile[code][3]) for code, v in self.series.items()}
        return values | cems_items(values, 60) if self.kind == "cems" else values


@dataclass(frozen=True)
class Station:
    mn: str
    password: str
    kind: str  # air, water, cems
    feed: Feed


def data_packet(cn: str, mn: str, password: str, when: datetime, values: dict[str, float], qn_time: datetime,
                resend: bool = False, st: str = AIR_ST, qn: str | None = None) -> Packet:
    """A 2051/2061 upload: per factor `xxx-Avg`, then keys given as `xxx-Kind` (ZsAvg, Cou), then `xxx-Flag=N`."""
    cp = {"DataTime": when.strftime(TIME_FORMAT)}
    for code, value in values.items():
        if "-" in code:
            continue
        cp[f"{code}-Avg"] = f"{value:g}"
        for key, extra in values.items():
            if key.startswith(f"{code}-"):
                cp[key] = f"{extra:g}"
        cp[f"{code}-Flag"] = "N"
    return build(cn, cp, version=Version.HJ212_2017, st=st, pw=password, mn=mn, qn=qn or new_qn(qn_time),
                 reply=True)


def schedule(start: datetime, minutes: int | None) -> Iterator[tuple[int, datetime, str]]:
    """(minute index, DataTime, CN): each minute, and after the 59th minute of an hour that hour's 2061."""
    i = 0
    while minutes is None or i < minutes:
        when = start + i * MINUTE
        yield i, when, "2051"
        if when.minute == 59 and i >= 59:
            yield i, when.replace(minute=0), "2061"
        i += 1


class _Link:
    """One TCP connection of a device: routes answers (9011/9014) to the waiting sender by QN and queues the
    platform's own requests for the device loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.waiting: dict[str, asyncio.Future[Packet]] = {}
        self.requests: asyncio.Queue[Packet] = asyncio.Queue()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, host: str, port: int) -> _Link:
        return cls(*await asyncio.open_connection(host, port))

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readuntil(b"\r\n")
                try:
                    packet = decode(line, lenient=True)
                except Hj212Error:
                    continue
                future = self.waiting.pop(packet.qn or "", None)
                if future is not None and packet.cn in ("9011", "9014") and not future.done():
                    future.set_result(packet)
                elif not (packet.cn or "").startswith("9"):
                    self.requests.put_nowait(packet)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))

    async def write(self, frame: bytes, pieces: int = 1) -> None:
        step = max(1, len(frame) // pieces)
        for offset in range(0, len(frame), step):
            self.writer.write(frame[offset:offset + step])
            await self.writer.drain()
            if pieces > 1:
                await asyncio.sleep(0.002)

    async def exchange(self, packet: Packet, timeout: float, pieces: int = 1) -> Packet | None:
        """Send and wait for the answer with the same QN; None on timeout."""
        future: asyncio.Future[Packet] = asyncio.get_running_loop().create_future()
        self.waiting[packet.qn or ""] = future
        await self.write(encode(packet), pieces)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self.waiting.pop(packet.qn or "", None)

    def close(self) -> None:
        self._task.cancel()
        self.writer.close()


class Device:
    """One simulated field unit: its clock, connection, faults and counters."""

    def __init__(self, host: str, port: int, station: Station, result: SimResult, faults: Faults, seed: int,
                 timeout: float, zone: ZoneInfo) -> None:
        self.host, self.port, self.station, self.result, self.faults = host, port, station, result, faults
        self.zone = zone  # field units in China keep Beijing time
        self.rng = random.Random(seed)
        self.timeout = timeout
        self.drift = timedelta(seconds=faults.clock_drift_s)
        self._qn_last = datetime.min
        self.link: _Link | None = None

    def clock(self) -> datetime:
        """Device time (local), strictly increasing by at least 1 ms so QNs are unique."""
        now = self._local_now() + self.drift
        self._qn_last = max(now, self._qn_last + timedelta(milliseconds=1))
        return self._qn_last

    async def run(self, start: datetime, minutes: int | None, pace: Pace, delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        self.link = await _Link.open(self.host, self.port)
        try:
            for i, when, cn in schedule(start, minutes):
                await pace.until(when + (MINUTE if cn == "2051" else timedelta(hours=1)))
                if cn == "2051" and i and self.faults.reconnect_every and i % self.faults.reconnect_every == 0:
                    self.link.close()
                    self.link = await _Link.open(self.host, self.port)
                    self.result.reconnects += 1
                await self._answer_requests()
                if self.faults.paused(i):
                    self.result.skipped += 1
                    continue
                await self.upload(cn, when)
            await asyncio.sleep(0)
            await self._answer_requests()
        finally:
            self.link.close()

    async def upload(self, cn: str, when: datetime, qn: str | None = None) -> bool:
        """Send one data packet (faults applied) and count its answer; False when the source has no values."""
        feed = self.station.feed
        values = feed.minute(when) if cn == "2051" else feed.hour(when)
        if not values:
            return False
        packet = data_packet(cn, self.station.mn, self.station.password, when, values, self.clock(),
                             st=ST[self.station.kind], qn=qn)
        assert self.link is not None
        if self.rng.random() < self.faults.bad_crc:
            frame = encode(packet)
            await self.link.write(frame[:-6] + (b"0000" if frame[-6:-2] != b"0000" else b"FFFF") + b"\r\n")
            self.result.bad_crc_sent += 1
        pieces = 3 if self.rng.random() < self.faults.split else 1
        self.result.split_sent += pieces > 1
        self.result.sent += 1
        try:
            answer = await self.link.exchange(packet, self.timeout, pieces)
        except ConnectionError:
            answer = None
        if answer is None:
            self.result.timeouts += 1
        elif answer.cn == "9014":
            self.result.acked += 1
            self.result.acked_packets.append(packet)
        else:
            self.result.refused += 1
        return True

    async def _answer_requests(self) -> None:
        """HJ 212-2017 §6.5.2: 9011 (QnRtn=1), execute, 9012 (ExeRtn=1)."""
        assert self.link is not None
        while not self.link.requests.empty():
            request = self.link.requests.get_nowait()
            self.result.requests += 1
            await self.link.write(encode(self._reply(request, "9011", {"QnRtn": "1"})))
            if request.cn == "1012" and "SystemTime" in request.cp:
                with contextlib.suppress(Hj212Error):
                    self.drift = parse_time(request.cp["SystemTime"], "SystemTime") - self._local_now()
                    self.result.clock_set += 1
            elif request.cn in ("2051", "2061") and {"BeginTime", "EndTime"} <= request.cp.keys():
                await self._history(request)
            await self.link.write(encode(self._reply(request, "9012", {"ExeRtn": "1"})))

    async def _history(self, request: Packet) -> None:
        """Upload the requested window again (§6.5.3, Tables C.47-C.50): one upload per record, each with a new QN."""
        step = MINUTE if request.cn == "2051" else timedelta(hours=1)
        try:
            when = parse_time(request.cp["BeginTime"], "BeginTime")
            end = parse_time(request.cp["EndTime"], "EndTime")
        except Hj212Error:
            return
        while when <= end:
            self.result.resent += await self.upload(request.cn or "", when)
            when += step

    def _local_now(self) -> datetime:
        return datetime.now(self.zone).replace(tzinfo=None)

    def _reply(self, request: Packet, cn: str, cp: dict[str, str]) -> Packet:
        return build(cn, cp, version=Version.HJ212_2017, st=ST[self.station.kind], pw=self.station.password,
                     mn=self.station.mn, qn=request.qn)


def device_mn(prefix: str, index: int) -> str:
    """24-character MN (HJ 212-2017 Table 3) from a prefix and the device number."""
    return f"{prefix}{index:0{24 - len(prefix)}d}"


async def run_stations(host: str, port: int, stations: list[Station], *, start: datetime, minutes: int | None,
                       faults: Faults = Faults(), speed: float | None = None, local_tz: str = "Asia/Shanghai",
                       ramp_s_per_device: float = RAMP_S_PER_DEVICE, timeout: float = 15.0,
                       result: SimResult | None = None) -> SimResult:
    """Run the stations concurrently from `start` (naive local time) for `minutes` (None: until cancelled)."""
    result = result if result is not None else SimResult()
    zone = ZoneInfo(local_tz)
    pace = Pace(speed, start, zone)
    # Stations do not all log in within the same millisecond: spread the first packets (each costs the gateway one
    # argon2 verification) over `ramp_s_per_device` each.
    devices = [Device(host, port, s, result, faults, n, timeout, zone) for n, s in enumerate(stations)]
    await asyncio.gather(*(d.run(start, minutes, pace, delay=n * ramp_s_per_device) for n, d in enumerate(devices)))
    return result


def synthetic_stations(devices: int, minutes: int, start: datetime, *, password: str, mn_prefix: str = "A0",
                       kinds: tuple[str, ...] = ("air",)) -> list[Station]:
    """`devices` stations, kinds in turn, device i with MN `device_mn(mn_prefix, i)` and seed i."""
    return [Station(device_mn(mn_prefix, i), password, kinds[(i - 1) % len(kinds)],
                    SyntheticFeed(kinds[(i - 1) % len(kinds)], i, start, minutes)) for i in range(1, devices + 1)]


async def simulate(host: str, port: int, *, devices: int, minutes: int, password: str, mn_prefix: str = "A0",
                   local_tz: str = "Asia/Shanghai", start: datetime | None = None,
                   ramp_s_per_device: float = RAMP_S_PER_DEVICE, kinds: tuple[str, ...] = ("air",),
                   faults: Faults = Faults(), speed: float | None = None) -> SimResult:
    """Run `devices` synthetic stations, each sending `minutes` of minute data from `start` (naive local time;
    default: the last `minutes` minutes on the devices' clock)."""
    now = datetime.now(ZoneInfo(local_tz)).replace(tzinfo=None)
    start = (start or now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    stations = synthetic_stations(devices, minutes, start, password=password, mn_prefix=mn_prefix, kinds=kinds)
    return await run_stations(host, port, stations, start=start, minutes=minutes, faults=faults, speed=speed,
                              local_tz=local_tz, ramp_s_per_device=ramp_s_per_device)
