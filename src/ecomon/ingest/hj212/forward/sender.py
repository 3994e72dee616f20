"""The forwarding service (`ecomon hj212 forward run`): one ordered, acknowledged HJ 212 session per target.

Per target, packets go out in queue order, stop-and-wait: the next one is sent only after the upper platform's
9014 for this one (HJ 212-2017 §6.5, Table C.14), so a packet is never overtaken by a later one. Without an
answer within the target's timeout the packet is sent again (RF=1 in HJ 212-2025); after `SEND_TRIES` silent tries
the connection is dropped and rebuilt with exponential back-off, which is also how an upper platform that is down
for hours is waited for: the backlog stays in PostgreSQL. A row is marked sent only after its ACK, so a restart
re-sends at most the one packet in flight. Each copy is counted (`attempts`) before it is written, so after a
kill -9 while waiting for the ACK the next forwarder knows the packet may already have arrived and sends it with
RF=1 (HJ 212-2025 Table 3), which lets the upper platform de-duplicate; to an HJ 212-2017 target (no RF field)
the copy is identical to the first (same MN, QN, DataTime), which is what it de-duplicates on. A PostgreSQL
advisory lock per target keeps two forwarder processes from serving the same target.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import datetime

import psycopg

from ecomon.ingest.hj212.codec import Hj212Error, Packet, decode, encode
from ecomon.ingest.hj212.forward import queue
from ecomon.ingest.hj212.forward.relay import is_ack, upward_packet
from ecomon.ingest.hj212.forward.targets import Target, Upstream, load_target, load_targets, upstream

log = logging.getLogger("ecomon.hj212.forward")
LOCK_CLASS = 2120  # first key of pg_advisory_lock(int, int): "HJ 212 forwarding"; the second is the target id
SEND_TRIES = 3
CONNECT_TIMEOUT_S = 10.0
BATCH = 200
STOP_GRACE_S = 15.0


class _LinkDown(Exception):
    """The TCP session to the upper platform is unusable; reconnect."""


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class TargetSender:
    """Drains the queue of one target over one TCP connection at a time."""

    def __init__(self, database_url: str, target_id: int, stop: asyncio.Event, *, poll_s: float = 1.0,
                 backoff_s: float = 1.0, backoff_max_s: float = 60.0) -> None:
        self.database_url, self.target_id, self.stop = database_url, target_id, stop
        self.poll_s, self.backoff_s, self.backoff_max_s = poll_s, backoff_s, backoff_max_s
        self.counts: Counter[str] = Counter()
        self._link: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def run(self) -> None:
        from ecomon.store.db import connect

        conn = connect(self.database_url, autocommit=True)
        try:
            while not await asyncio.to_thread(self._lock, conn):
                log.info("target %d is served by another forwarder; waiting", self.target_id)
                await _pause(self.stop, max(self.poll_s, 5.0))
                if self.stop.is_set():
                    return
            delay = self.backoff_s
            while not self.stop.is_set():
                target = await asyncio.to_thread(load_target, conn, self.target_id)
                if target is None or not target.enabled:
                    return
                items = await asyncio.to_thread(queue.pending, conn, target.id, BATCH)
                if not items:
                    await _pause(self.stop, self.poll_s)
                    continue
                mapping = await asyncio.to_thread(upstream, conn, target)
                try:
                    await self._drain(conn, target, mapping, items)
                    delay = self.backoff_s
                except _LinkDown as exc:
                    self._close()
                    self.counts["link_down"] += 1
                    log.warning("forward target %s (%s:%d): %s; retry in %.0f s", target.name, target.host,
                                target.port, exc, delay)
                    await _pause(self.stop, delay)
                    delay = min(delay * 2, self.backoff_max_s)
        finally:
            self._close()
            conn.close()  # also releases the advisory lock

    async def _drain(self, conn: psycopg.Connection, target: Target, mapping: dict[str, Upstream],
                     items: list[queue.Pending]) -> None:
        reader, writer = await self._connect(target)
        for item in items:
            if self.stop.is_set():
                return
            try:
                packet = item.packet()
                up = mapping.get(packet.mn or "") or Upstream(packet.mn or "", target.password)
                frames = [encode(upward_packet(packet, mn=up.mn, pw=up.pw, version=target.version,
                                               reply=target.await_ack, resend=item.attempts + n > 0,
                                               now=datetime.now()))
                          for n in range(SEND_TRIES)]
            except Hj212Error as exc:
                self.counts["failed"] += 1
                await asyncio.to_thread(queue.mark_error, conn, item.id, f"cannot be sent as strict HJ 212: {exc}")
                continue
            for tries, frame in enumerate(frames, start=1):
                await asyncio.to_thread(queue.mark_attempt, conn, item.id)  # before it leaves: see module doc
                try:
                    writer.write(frame)
                    await writer.drain()
                    acked = not target.await_ack or await self._ack(reader, frame, target.ack_timeout_s)
                except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
                    raise _LinkDown(f"connection lost: {exc or type(exc).__name__}") from exc
                if acked:
                    await asyncio.to_thread(queue.mark_sent, conn, item.id)
                    self.counts["sent"] += 1
                    self.counts["resent"] += tries - 1
                    break
            else:
                raise _LinkDown(f"no 9014 for queue row {item.id} after {SEND_TRIES} tries")

    async def _ack(self, reader: asyncio.StreamReader, frame: bytes, timeout_s: float) -> bool:
        """Wait for the 9014 echoing this packet's QN; other packets from the upper platform are logged and
        skipped (it may send commands; this session only forwards)."""
        sent = decode(frame)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while (left := deadline - loop.time()) > 0:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\r\n"), left)
            except TimeoutError:
                return False
            try:
                answer: Packet = decode(line, lenient=True)
            except Hj212Error as exc:
                log.info("undecodable answer from upper platform ignored: %s", exc)
                continue
            if is_ack(answer, sent):
                return True
            log.info("upper platform sent CN %s (QN %s) while waiting for a 9014; ignored", answer.cn, answer.qn)
        return False

    async def _connect(self, target: Target) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._link is None or self._link[1].is_closing():
            try:
                self._link = await asyncio.wait_for(asyncio.open_connection(target.host, target.port),
                                                    CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise _LinkDown(f"cannot connect: {exc or type(exc).__name__}") from exc
            log.info("forward target %s: connected to %s:%d", target.name, target.host, target.port)
        return self._link

    def _close(self) -> None:
        if self._link is not None:
            self._link[1].close()
            self._link = None

    def _lock(self, conn: psycopg.Connection) -> bool:
        return bool(conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.target_id)).fetchone()[0])


async def run_forwarder(database_url: str, *, stop: asyncio.Event | None = None, rescan_s: float = 30.0,
                        poll_s: float = 1.0, backoff_max_s: float = 60.0) -> None:
    """Serve every enabled target until `stop`; targets added later are picked up within `rescan_s`."""
    from ecomon.store.db import connect

    stop = stop or asyncio.Event()
    tasks: dict[int, asyncio.Task[None]] = {}
    try:
        while not stop.is_set():
            with connect(database_url) as conn:
                targets = load_targets(conn, enabled_only=True)
            for target in targets:
                task = tasks.get(target.id)
                if task is not None and task.done() and not task.cancelled() and task.exception():
                    log.error("forward target %s stopped: %r; restarting", target.name, task.exception())
                if task is None or task.done():
                    sender = TargetSender(database_url, target.id, stop, poll_s=poll_s, backoff_max_s=backoff_max_s)
                    tasks[target.id] = asyncio.create_task(sender.run(), name=f"forward-{target.name}")
            await _pause(stop, rescan_s)
    finally:
        stop.set()  # senders finish the packet in flight (its ACK) instead of leaving it to be re-sent
        if tasks:
            await asyncio.wait(tasks.values(), timeout=STOP_GRACE_S)
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
