"""The asyncio TCP gateway: frames split on CR LF, MN + PW authentication, per-connection limits, every frame
published to the bus (archived unaltered by the writer), replies per HJ 212-2017 §6.5 / App. C.

A data reply (9014) is written only after the bus has stored the frame (JetStream publish-ack, file storage):
frames from all connections are gathered for up to `linger_ms` and published as one message.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import nats
from nats.js import JetStreamContext

from ecomon.ingest.hj212.codec import Hj212Error, Packet, build, decode, encode
from ecomon.ingest.hj212.codec.flows import SYSTEM_ST, replies
from ecomon.ingest.hj212.codec.versions import Version
from ecomon.ingest.hj212.gateway.devices import Directory
from ecomon.ingest.hj212.gateway.rows import DATA_COMMANDS
from ecomon.ingest.hj212.stream import DEFAULT_STREAM, FrameRecord, encode_batch, ensure_stream, subject

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
    in_flight: int = 8


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
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), timeout)
                except TimeoutError:
                    break
                batch.append(item)
                size += len(item[0].frame)
            await self._slots.acquire()
            task = asyncio.create_task(self._publish(batch, f"{self._run_id}-{next(self._seq)}"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _publish(self, batch: list[tuple[FrameRecord, asyncio.Future[None]]], key: str) -> None:
        try:
            payload = encode_batch([record for record, _ in batch])
            await self._js.publish(self._subject, payload, headers={"Nats-Msg-Id": key}, timeout=5.0)
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


class Gateway:
    def __init__(self, directory: Directory, batcher: Batcher, run_id: str, limits: Limits, local_tz: str) -> None:
        self.directory, self.batcher, self.run_id, self.limits = directory, batcher, run_id, limits
        self.zone = ZoneInfo(local_tz)  # the devices' clock (1012 set-time answers a 1013 in local time)
        self.counts: Counter[str] = Counter()
        self._connections = itertools.count(1)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        connection_id = f"{self.run_id}-{next(self._connections)}"
        self.counts["connections"] += 1
        session = _Session(peer, connection_id, self.limits)
        try:
            while not session.closed:
                try:
                    frame = await asyncio.wait_for(reader.readuntil(b"\r\n"), self.limits.idle_s)
                except TimeoutError:
                    self.counts["idle_closed"] += 1
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
                    break
                if not session.take_token():
                    self._archive(session, frame, None, f"rate limit {self.limits.frames_per_s}/s exceeded; "
                                                        "connection closed")
                    self.counts["rejected_rate"] += 1
                    break
                for reply in await self._on_frame(session, frame):
                    writer.write(encode(reply))
                await writer.drain()
        except (ConnectionError, OSError) as exc:
            log.info("connection %s from %s ended: %s", connection_id, peer, exc)
        finally:
            writer.close()

    def _archive(self, session: _Session, frame: bytes, packet: Packet | None, reject: str | None,
                 device_id: int | None = None, site_id: int | None = None) -> asyncio.Future[None]:
        self.counts["frames"] += 1
        note = "; ".join(packet.warnings) if packet and packet.warnings else None
        record = FrameRecord(_now_iso(), session.peer, session.connection_id, frame.decode("latin-1"), device_id,
                             site_id, packet.mn if packet else None, packet.cn if packet else None, reject, note)
        if reject:
            log.info("rejected frame from %s (%s): %s", session.peer, session.connection_id, reject)
        return self.batcher.submit(record)

    async def _on_frame(self, session: _Session, frame: bytes) -> list[Packet]:
        try:
            packet = decode(frame, lenient=True)
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
        if packet.cn in DATA_COMMANDS and device.site_id is None:
            self.counts["rejected_unbound"] += 1
            self._archive(session, frame, packet, f"device {device.mn} is bound to no monitoring site "
                                                  "(outlet devices are not yet stored)", device.id)
            return []
        stored = self._archive(session, frame, packet, None, device.id, device.site_id)
        answers = replies(packet, datetime.now(self.zone).replace(tzinfo=None))
        if any(a.cn == "9014" for a in answers):
            try:
                await stored
            except Exception:  # noqa: BLE001 (not durable: no ACK, the device re-sends)
                self.counts["ack_withheld"] += 1
                return [a for a in answers if a.cn != "9014"]
            self.counts["acked"] += 1
        return answers


class _Session:
    def __init__(self, peer: str, connection_id: str, limits: Limits) -> None:
        self.peer, self.connection_id, self.limits = peer, connection_id, limits
        self.tokens = float(limits.burst)
        self.refilled = time.monotonic()
        self.auth_failures = 0
        self.closed = False

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
                started: asyncio.Event | None = None) -> None:
    """Run the gateway until cancelled."""
    limits = limits or Limits()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, stream)
    run_id = f"{int(time.time() * 1000):x}"
    batcher = Batcher(js, stream, run_id, batch or BatchLimits())
    gateway = Gateway(Directory(database_url), batcher, run_id, limits, local_tz)
    batch_task = asyncio.create_task(batcher.run())
    server = await asyncio.start_server(gateway.handle, host, port, limit=limits.max_frame)
    log.info("HJ 212 gateway listening on %s:%d (stream %s)", host, port, stream)
    if started:
        started.set()
    try:
        async with server:
            await server.serve_forever()
    finally:
        batch_task.cancel()
        log.info("gateway counts: %s", dict(gateway.counts))
        await nc.close()  # every publish has been acknowledged or failed by now; nothing to drain
