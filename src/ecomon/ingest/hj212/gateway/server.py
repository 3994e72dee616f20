"""The asyncio TCP gateway: frames split on CR LF (by the length field for SM4 devices), MN + PW authentication,
per-connection limits, every frame published to the bus (archived unaltered by the writer), replies per
HJ 212-2017 §6.5 / App. C, and the session layer (commands, clock, gaps, split sets, device state; `session`).

A data reply (9014) is written only after the bus has stored the frame (JetStream publish-ack, file storage):
frames from all connections are gathered for up to `linger_ms` and published as one message.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import nats
import psycopg
from nats.js import JetStreamContext

from ecomon.ingest.hj212.codec import DecryptError, Hj212Error, Packet, build, decode, encode
from ecomon.ingest.hj212.codec.accel import ACTIVE_PATH as CODEC_PATH
from ecomon.ingest.hj212.codec.flows import SYSTEM_ST, replies
from ecomon.ingest.hj212.codec.versions import Version
from ecomon.ingest.hj212.gateway.devices import Device, Directory
from ecomon.ingest.hj212.gateway.rows import DATA_COMMANDS
from ecomon.ingest.hj212.session.clock import clock_offset
from ecomon.ingest.hj212.session.config import SessionConfig
from ecomon.ingest.hj212.session.dispatch import CommandDispatcher, Link
from ecomon.ingest.hj212.session.framing import missing_bytes, peek_mn
from ecomon.ingest.hj212.session.gapscan import GapScanner
from ecomon.ingest.hj212.session.keys import activate_rotation, start_rotation
from ecomon.ingest.hj212.session.reassembly import Reassembler
from ecomon.ingest.hj212.session.requests import Resolution
from ecomon.ingest.hj212.session.rotation import RotationSchedule
from ecomon.ingest.hj212.session.store import GATEWAY_BY, OpenCommand, SessionDb, SessionStore
from ecomon.ingest.hj212.stream import (
    DEFAULT_STREAM,
    FRAMES_HEADER,
    FrameRecord,
    encode_batch,
    ensure_stream,
    subject,
)

log = logging.getLogger("ecomon.hj212.gateway")


@dataclass(frozen=True)
class Limits:
    """Per-connection limits. A frame is at most 6 (##) + 4 (length) + 1024 (data segment, HJ 212-2017 Table 2)
    + 4 (CRC) + 2 (CR LF) = 1040 bytes; real devices overrun a little, so the default leaves room."""

    max_frame: int = 4096
    frames_per_s: float = 50.0  # token bucket per connection; history uploads come in bursts
    burst: int = 500
    idle_s: float = 600.0  # heartbeats (9015) or data at least this often
    auth_failures: int = 3  # then the connection is closed


@dataclass(frozen=True)
class BatchLimits:
    linger_ms: float = 3.0
    max_frames: int = 500
    max_bytes: int = 512 * 1024
    in_flight: int = 16  # publishes awaiting their JetStream ack at once


class Batcher:
    """Gathers frame records from all connections into JetStream messages; each submit returns a future that
    resolves once the message holding the record is stored (or fails if the publish failed)."""

    def __init__(self, js: JetStreamContext, stream: str, run_id: str, limits: BatchLimits) -> None:
        self._js, self._subject, self._run_id, self._limits = js, subject(stream), run_id, limits
        self._queue: asyncio.Queue[tuple[FrameRecord, asyncio.Future[None]]] = asyncio.Queue()
        self._seq = itertools.count(1)
        self._slots = asyncio.Semaphore(limits.in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self.published = 0

    def submit(self, record: FrameRecord) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((record, future))
        return future

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0][0].frame)
            deadline = loop.time() + self._limits.linger_ms / 1000
            while len(batch) < self._limits.max_frames and size < self._limits.max_bytes:
                try:  # drain what is queued; when empty, wait out the linger once (no timer task per frame)
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    if (left := deadline - loop.time()) <= 0:
                        break
                    await asyncio.sleep(left)
                    continue
                batch.append(item)
                size += len(item[0].frame)
            await self._slots.acquire()
            task = asyncio.create_task(self._publish(batch, f"{self._run_id}-{next(self._seq)}"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _publish(self, batch: list[tuple[FrameRecord, asyncio.Future[None]]], key: str) -> None:
        try:
            payload = encode_batch([record for record, _ in batch])
            await self._js.publish(self._subject, payload, headers={"Nats-Msg-Id": key, FRAMES_HEADER: str(len(batch))},
                                   timeout=5.0)
        except Exception as exc:  # noqa: BLE001 (any failure means: not durable, do not ACK)
            log.warning("publish of %d frames failed: %s", len(batch), exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            self.published += len(batch)
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
        finally:
            self._slots.release()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def refusal(received: Packet, qnrtn: str) -> Packet:
    """9011 with QnRtn (HJ 212-2017 Table 7: 3 PW error, 4 MN error), echoing QN (in CP for HJ/T 212-2005)."""
    cp = {"QnRtn": qnrtn}
    qn = received.qn
    if received.version is Version.HJT212_2005:
        cp = {"QN": qn, **cp} if qn else cp
        qn = None
    return build("9011", cp, version=received.version, st=SYSTEM_ST, pw=received.pw or "", mn=received.mn or "",
                 qn=qn)


REPORT_CNS = frozenset({"2021", "2041", "3019", "3020", "1011", "1061", "1063", "3017", "3018"})
REPLY_CNS = frozenset({"9011", "9012", "9013"})
FORWARDED_HEADER = ("QN", "ST", "CN", "MN")  # what upward forwarding keeps of a decoded packet (not PW)


class Gateway:
    def __init__(self, directory: Directory, batcher: Batcher, run_id: str, limits: Limits, local_tz: str,
                 db: SessionDb, config: SessionConfig | None = None, master_key: bytes | None = None) -> None:
        self.directory, self.batcher, self.run_id, self.limits = directory, batcher, run_id, limits
        self.zone = ZoneInfo(local_tz)  # the devices' clock: QN, SystemTime and DataTime are local time
        self.local_tz = local_tz
        self.db, self.config, self.master_key = db, config or SessionConfig(), master_key
        self.counts: Counter[str] = Counter()
        self.dispatcher = CommandDispatcher(db, self.config, self.zone, self._command_finished,
                                            lambda link: self._refresh_keys(link.mn), master_key)
        self.gaps = GapScanner(db, self.config, local_tz)
        self.rotations = RotationSchedule(db, self.config, master_key)
        self.sessions: set[_Session] = set()
        self.places: dict[int, tuple[str, int]] = {}  # connected device → ("site_id"|"outlet_id", id), gap scan
        self._seen: dict[str, tuple[datetime, int]] = {}  # connection id → (last frame, frames) not yet stored
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections = itertools.count(1)

    # --- connections ------------------------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        connection_id = f"{self.run_id}-{next(self._connections)}"
        self.counts["connections"] += 1
        session = _Session(peer, connection_id, self.limits, Reassembler(self.config.split_hold_s), writer)
        self.sessions.add(session)
        reason = "closed by the device"
        try:
            while not session.closed:
                try:
                    frame = await self._read_frame(reader)
                except TimeoutError:
                    self.counts["idle_closed"] += 1
                    reason = f"idle for {self.limits.idle_s:.0f} s"
                    break
                except asyncio.IncompleteReadError as exc:
                    if exc.partial.strip():
                        self._archive(session, exc.partial, None, "connection closed mid-frame (no CR LF)")
                    break
                except asyncio.LimitOverrunError:
                    chunk = await reader.read(self.limits.max_frame)
                    self._archive(session, chunk, None, f"frame longer than {self.limits.max_frame} bytes; "
                                                        "connection closed")
                    self.counts["rejected_oversize"] += 1
                    reason = "oversized frame"
                    break
                if not session.take_token():
                    self._archive(session, frame, None, f"rate limit {self.limits.frames_per_s}/s exceeded; "
                                                        "connection closed")
                    self.counts["rejected_rate"] += 1
                    reason = "rate limit"
                    break
                for reply in await self._on_frame(session, frame):
                    writer.write(encode(reply))
                await writer.drain()
            if session.auth_failures >= self.limits.auth_failures:
                reason = f"{session.auth_failures} authentication failures"
        except (ConnectionError, OSError) as exc:
            log.info("connection %s from %s ended: %s", connection_id, peer, exc)
            reason = f"connection error: {exc}"
        finally:
            writer.close()
            self.sessions.discard(session)
            self._expire_parts(session, float("inf"))
            if session.link is not None:
                self.dispatcher.drop(session.link)
                if session.link.device_id not in self.dispatcher.links:
                    self.places.pop(session.link.device_id, None)
                self._background(self.db(SessionStore.close_session, connection_id, reason))

    async def _read_frame(self, reader: asyncio.StreamReader) -> bytes:
        """One frame up to CR LF; for a device that encrypts, up to the length its length field declares, since
        raw SM4 ciphertext may contain CR LF (HJ 212-2025 App. A.2)."""
        async with asyncio.timeout(self.limits.idle_s):  # no task per frame, unlike wait_for (Python 3.11)
            frame = await reader.readuntil(b"\r\n")
        while (short := missing_bytes(frame)) and len(frame) + short <= self.limits.max_frame:
            device = await self.directory.find(peek_mn(frame))
            if device is None or not device.encrypts:
                break
            frame += await asyncio.wait_for(reader.readuntil(b"\r\n"), self.config.reply_timeout_s)
        return frame

    def _archive(self, session: _Session, frame: bytes, packet: Packet | None, reject: str | None,
                 device_id: int | None = None, site_id: int | None = None, note: str | None = None,
                 cp: dict[str, str] | None = None, outlet_id: int | None = None,
                 header: dict[str, str] | None = None) -> asyncio.Future[None]:
        self.counts["frames"] += 1
        notes = [*(packet.warnings if packet else ()), *([note] if note else [])]
        record = FrameRecord(_now_iso(), session.peer, session.connection_id, frame.decode("latin-1"), device_id,
                             site_id, packet.mn if packet else None, packet.cn if packet else None, reject,
                             "; ".join(notes) or None, cp, outlet_id, header)
        if reject:
            log.info("rejected frame from %s (%s): %s", session.peer, session.connection_id, reject)
        return self.batcher.submit(record)

    # --- one frame --------------------------------------------------------------------------------------------

    async def _on_frame(self, session: _Session, frame: bytes) -> list[Packet]:
        known = session.device or await self.directory.find(peek_mn(frame))
        try:
            packet = _decode(frame, known)
        except Hj212Error as exc:
            self.counts["rejected_undecodable"] += 1
            self._archive(session, frame, None, f"undecodable: {exc}")
            return []
        auth = await self.directory.authenticate(packet.mn, packet.pw)
        device = auth.device
        if auth.reject_reason:
            self.counts["rejected_auth"] += 1
            session.auth_failures += 1
            session.closed = session.auth_failures >= self.limits.auth_failures
            self._archive(session, frame, packet, auth.reject_reason, device.id if device else None)
            return [refusal(packet, auth.qnrtn or "2")]
        assert device is not None
        if packet.cn in DATA_COMMANDS and device.site_id is None and device.outlet_id is None:
            self.counts["rejected_unbound"] += 1
            self._archive(session, frame, packet, f"device {device.mn} is bound to no monitoring site or outlet",
                          device.id)
            return []
        link = self._attach(session, device, packet)
        seen = self._seen.get(session.connection_id)
        self._seen[session.connection_id] = (datetime.now(UTC), (seen[1] if seen else 0) + 1)
        if packet.cn in REPLY_CNS:
            self._archive(session, frame, packet, None, device.id)
            if await self.dispatcher.on_reply(link, packet):
                self.counts["command_replies"] += 1
            return []
        whole, note = self._whole(session, packet)
        decoded = whole is not None and (whole is not packet or device.encrypts)
        writer_cp = dict(whole.cp) if decoded else None
        header = {k: v for k in FORWARDED_HEADER if (v := whole.header.get(k)) is not None} if decoded else None
        site_id, outlet_id = (device.site_id, device.outlet_id) if whole is not None else (None, None)
        stored = self._archive(session, frame, packet, None, device.id, site_id, note, writer_cp, outlet_id,
                               header)
        answers = replies(packet)  # without a clock: a 1013's 1012 is queued below, so it is recorded
        if any(a.cn == "9014" for a in answers):
            try:
                await stored
            except Exception:  # noqa: BLE001 (not durable: no ACK, the device re-sends)
                self.counts["ack_withheld"] += 1
                return [a for a in answers if a.cn != "9014"]
            self.counts["acked"] += 1
        if whole is not None:
            self._background(self._after(session, link, device, whole))
        return answers

    def _whole(self, session: _Session, packet: Packet) -> tuple[Packet | None, str | None]:
        """The packet to act on: itself, or for a sub-packet the reassembled set once complete (else None)."""
        if packet.pnum is None:
            return packet, None
        outcome = session.parts.add(packet, time.monotonic())
        part = f"sub-packet {packet.pno}/{packet.pnum}"
        if outcome.error:
            self.counts["split_errors"] += 1
            return None, f"{part}: set not reassembled: {outcome.error}"
        if outcome.complete is None:
            return None, f"{part} held for reassembly (observations come with the completing part)"
        self.counts["split_reassembled"] += 1
        return outcome.complete, f"{part} completes the set; observations from the reassembled packet"

    def _attach(self, session: _Session, device: Device, packet: Packet) -> Link:
        """The device's link on this connection (created on its first authenticated packet)."""
        link = session.link
        if link is None or link.device_id != device.id:
            link = Link(device.id, device.mn, packet.pw or "", packet.st or SYSTEM_ST, packet.version,
                        session.connection_id, session.writer.write, device.keys.active, device.keys.pending)
            session.link, session.device = link, device
            self.dispatcher.links[device.id] = link
            if device.site_id is not None or device.outlet_id is not None:
                self.places[device.id] = (("site_id", device.site_id) if device.site_id is not None
                                          else ("outlet_id", device.outlet_id))
            self._background(self.db(SessionStore.open_session, device.id, session.connection_id, session.peer))
        link.version, link.st = packet.version, packet.st or link.st
        link.pw = packet.pw or link.pw  # requests go with the PW the device uses now (after a 1072, the new one)
        return link

    async def _after(self, session: _Session, link: Link, device: Device, packet: Packet) -> None:
        """Session bookkeeping once the device has its answer: command answers, reports, restarts, clock."""
        cn = packet.cn or ""
        await self.dispatcher.on_upload(link, packet)
        if cn in REPORT_CNS:
            await self.db(SessionStore.report, device.id, cn, packet.cp)
        elif cn == "2081":
            await self.db(SessionStore.event, device.id, "restart", {"RestartTime": packet.cp.get("RestartTime"),
                                                                        "DataTime": packet.cp.get("DataTime")})
        elif cn == "1013":  # the device asks for the time (§6.5.4): 9013 sent, now 1012
            cp = {"PolId": packet.cp["PolId"]} if "PolId" in packet.cp else {}
            await self.db(SessionStore.queue, device.id, "1012", cp, "time_calibration", GATEWAY_BY)
        elif cn == "1014" and "NewSK" not in packet.cp:  # the device asks for a new key (2025 §6.4.3)
            await self._start_rotation(device)
        await self._check_clock(session, device, packet)

    async def _check_clock(self, session: _Session, device: Device, packet: Packet) -> None:
        if packet.resend:
            return
        offset = clock_offset(packet, datetime.now(self.zone).replace(tzinfo=None))
        if offset is None or abs(offset) <= self.config.clock_bound_s:
            return
        now = time.monotonic()
        if now - session.time_set_at < self.config.time_set_every_s:
            return
        session.time_set_at = now
        self.counts["time_set"] += 1
        detail = {"offset_s": round(offset, 3), "qn": packet.qn, "bound_s": self.config.clock_bound_s}
        await self.db(SessionStore.event, device.id, "clock_drift", detail)
        await self.db(SessionStore.queue, device.id, "1012", {}, "time_calibration", GATEWAY_BY)
        log.info("device %s clock off by %.1f s: time set queued", device.mn, offset)

    async def _start_rotation(self, device: Device) -> None:
        if self.master_key is None or device.keys.active is None:
            log.warning("device %s asked for a new SM4 key but has no current key to protect it", device.mn)
            return
        await asyncio.to_thread(start_rotation, self.directory.database_url, device.id, self.master_key, GATEWAY_BY)
        await self._refresh_keys(device.mn)

    async def _refresh_keys(self, mn: str) -> None:
        fresh = await self.directory.reload(mn)
        link = self.dispatcher.links.get(fresh.id) if fresh else None
        if fresh is not None and link is not None:
            link.key, link.pending_key = fresh.keys.active, fresh.keys.pending
            for session in self.sessions:
                if session.link is link:
                    session.device = fresh

    async def _command_finished(self, link: Link, command: OpenCommand, outcome: Resolution) -> None:
        if command.origin == "key_rotation" and outcome.state == "done":
            await asyncio.to_thread(activate_rotation, self.directory.database_url, link.device_id)
            await self._refresh_keys(link.mn)
            await self.db(SessionStore.event, link.device_id, "key_activated", {"command": command.id})
            log.info("device %s confirmed its new SM4 key", link.mn)

    # --- periodic work ----------------------------------------------------------------------------------------

    async def run_periodic(self) -> None:
        """Commands, split-set expiry and session touches every poll; the gap scan every gap_scan_s; due SM4
        rotations every key_check_s (session.rotation)."""
        last_touch = last_scan = last_key_check = time.monotonic()
        while True:
            await asyncio.sleep(self.config.command_poll_s)
            now = time.monotonic()
            try:
                await self.dispatcher.poll()
                for session in list(self.sessions):
                    self._expire_parts(session, now)
                if now - last_touch >= self.config.touch_every_s and self._seen:
                    seen, self._seen = self._seen, {}
                    await self.db(SessionStore.touch, seen)
                    last_touch = now
                if now - last_scan >= self.config.gap_scan_s:
                    last_scan = now
                    await self.gaps.scan(self.dispatcher.links, dict(self.places))
                if now - last_key_check >= self.config.key_check_s:
                    last_key_check = now
                    await self.rotations.check(dict(self.dispatcher.links))
            except (psycopg.Error, OSError) as exc:
                log.warning("session upkeep failed (retried next round): %s", exc)

    def _expire_parts(self, session: _Session, now: float) -> None:
        for key, held in session.parts.expire(now):
            self.counts["split_incomplete"] += 1
            if session.link is not None:
                detail = {"cn": key[1], "pnum": key[2], "DataTime": key[3], "parts_received": held}
                self._background(self.db(SessionStore.event, session.link.device_id, "split_incomplete", detail))

    def _background(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.counts["session_errors"] += 1
            log.warning("session bookkeeping failed: %s", task.exception())


def _decode(frame: bytes, device: Device | None) -> Packet:
    """Lenient decode with the device's configured version and SM4 key (the pending one during a rotation)."""
    if device is None:
        return decode(frame, lenient=True)
    keys = [k for k in (device.keys.active, device.keys.pending) if k is not None] or [None]
    for key in keys[:-1]:
        try:
            return decode(frame, lenient=True, version=device.version, key=key)
        except DecryptError:
            continue
    return decode(frame, lenient=True, version=device.version, key=keys[-1])


class _Session:
    def __init__(self, peer: str, connection_id: str, limits: Limits, parts: Reassembler,
                 writer: asyncio.StreamWriter) -> None:
        self.peer, self.connection_id, self.limits, self.parts, self.writer = peer, connection_id, limits, parts, writer
        self.tokens = float(limits.burst)
        self.refilled = time.monotonic()
        self.auth_failures = 0
        self.closed = False
        self.device: Device | None = None
        self.link: Link | None = None
        self.time_set_at = -float("inf")

    def take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.limits.burst, self.tokens + (now - self.refilled) * self.limits.frames_per_s)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def serve(host: str, port: int, *, nats_url: str, database_url: str, local_tz: str,
                stream: str = DEFAULT_STREAM, limits: Limits | None = None, batch: BatchLimits | None = None,
                session: SessionConfig | None = None, master_key: bytes | None = None,
                started: asyncio.Event | None = None) -> None:
    """Run the gateway until cancelled. `master_key` unseals the devices' SM4 keys (see session.keys)."""
    limits = limits or Limits()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, stream)
    run_id = f"{int(time.time() * 1000):x}"
    batcher = Batcher(js, stream, run_id, batch or BatchLimits())
    db = SessionDb(database_url)
    gateway = Gateway(Directory(database_url, master_key), batcher, run_id, limits, local_tz, db, session,
                      master_key)
    batch_task = asyncio.create_task(batcher.run())
    upkeep = asyncio.create_task(gateway.run_periodic())
    # SO_REUSEPORT: more gateway processes on the same port share the connections (no shared state).
    server = await asyncio.start_server(gateway.handle, host, port, limit=limits.max_frame, reuse_port=True)
    log.info("HJ 212 gateway listening on %s:%d (stream %s, codec %s)", host, port, stream, CODEC_PATH)
    if started:
        started.set()
    try:
        async with server:
            await server.serve_forever()
    finally:
        batch_task.cancel()
        upkeep.cancel()
        log.info("gateway counts: %s", dict(gateway.counts))
        await nc.close()  # every publish has been acknowledged or failed by now; nothing to drain
        db.close()
