"""Upward forwarding end to end against PostgreSQL and a live upper-level HJ 212 server: the writer queues in
its transaction, the sender drains in order, waits out an upper platform that is down, survives a restart, re-sends
an unacknowledged packet, and sets aside what cannot be sent strictly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ecomon.ingest.hj212.codec import Packet, Version, build, encode
from ecomon.ingest.hj212.forward.queue import backlog
from ecomon.ingest.hj212.forward.sender import run_forwarder
from ecomon.ingest.hj212.forward.targets import TargetError, add_target
from ecomon.ingest.hj212.stream import FrameRecord, encode_batch
from ecomon.ingest.hj212.writer import store_batches
from tests.forward.conftest import UpperPlatform, free_port

TZ = "Asia/Shanghai"
UPPER_PW = "Up4567"
START = datetime(2024, 5, 20, 8, 0)


def _device(conn: psycopg.Connection, mn: str, site: str, version: str = "2017") -> tuple[int, int]:
    site_id = conn.execute("SELECT id FROM site WHERE code = %s", (site,)).fetchone()[0]
    device_id = conn.execute("INSERT INTO device (mn, password_hash, protocol_version, site_id, updated_by) "
                             "VALUES (%s, 'x', %s, %s, 'test') RETURNING id", (mn, version, site_id)).fetchone()[0]
    return device_id, site_id


def _minute(mn: str, minute: int, *, version: Version = Version.HJ212_2017, pw: str = "123456") -> bytes:
    when = START + timedelta(minutes=minute)
    cp = {"DataTime": when.strftime("%Y%m%d%H%M%S"), "a34004-Avg": f"{30 + minute % 7}", "a34004-Flag": "N",
          "a21026-Avg": "8", "a21026-Flag": "N"}
    qn = None if version is Version.HJT212_2005 else f"{when:%Y%m%d%H%M%S}{minute % 1000:03d}"
    return encode(build("2051", cp, version=version, st="22", pw=pw, mn=mn, qn=qn, reply=True))


def _store(conn: psycopg.Connection, key: str, frames: list[tuple[bytes, int, int, str]]) -> None:
    """What the writer does with one bus message of accepted frames (frame, device_id, site_id, mn)."""
    now = datetime.now(UTC).isoformat()
    records = [FrameRecord(now, "127.0.0.1:1", "test-1", frame.decode("latin-1"), device_id, site_id, mn, "2051",
                           None, None) for frame, device_id, site_id, mn in frames]
    conn.autocommit = False
    try:
        store_batches(conn, [(key, encode_batch(records))], TZ)
    finally:
        conn.autocommit = True


async def _run_until(url: str, done: Callable[[], bool], timeout: float = 30.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_forwarder(url, stop=stop, rescan_s=0.2, poll_s=0.05, backoff_max_s=0.3))
    deadline = time.monotonic() + timeout
    try:
        while not done():
            assert time.monotonic() < deadline, "forwarder did not get there in time"
            assert not task.done(), task.exception() if task.done() else None
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


def _times(packets: list[Packet]) -> list[str]:
    return [p.cp["DataTime"] for p in packets]


def test_down_then_up_then_restart_forwards_everything_once_in_order(db: psycopg.Connection,
                                                                      forward_url: str) -> None:
    mn_a, mn_b = "FA0000000000000000000001", "FB0000000000000000000001"
    upper_mn = "0123456789ABCDEF01234567"
    device_a, site_a = _device(db, mn_a, "FWD-A")
    device_b, site_b = _device(db, mn_b, "FWD-B")
    port = free_port()
    target_id = add_target(db, name="province", host="127.0.0.1", port=port, password=UPPER_PW, sites=["FWD-A"],
                           mapping={mn_a: upper_mn}, actor="test", ack_timeout_s=1.0)
    # 30 minutes of site A (one re-sent by the device: its ACK was lost), 10 of site B (not forwarded).
    _store(db, "batch-1", [(_minute(mn_a, m), device_a, site_a, mn_a) for m in range(20)]
           + [(_minute(mn_b, m), device_b, site_b, mn_b) for m in range(10)])
    _store(db, "batch-2", [(_minute(mn_a, 19), device_a, site_a, mn_a)]
           + [(_minute(mn_a, m), device_a, site_a, mn_a) for m in range(20, 30)])
    assert backlog(db)[target_id] == (30, 0, 0)
    expected = [(START + timedelta(minutes=m)).strftime("%Y%m%d%H%M%S") for m in range(30)]

    async def scenario() -> UpperPlatform:
        upper = UpperPlatform(port)
        # Upper platform down: the forwarder keeps retrying, nothing is lost or marked sent.
        started = time.monotonic()
        await _run_until(forward_url, lambda: time.monotonic() - started > 1.5)
        assert backlog(db)[target_id] == (30, 0, 0)
        await upper.start()
        # Up: forward part of the backlog, then stop the forwarder (a restart) and add new data meanwhile.
        await _run_until(forward_url, lambda: len(upper.received) >= 12)
        _store(db, "batch-3", [(_minute(mn_a, m), device_a, site_a, mn_a) for m in range(30, 35)])
        await _run_until(forward_url, lambda: backlog(db)[target_id][0] == 0)
        await upper.stop()
        return upper

    upper = asyncio.run(scenario())
    expected += [(START + timedelta(minutes=m)).strftime("%Y%m%d%H%M%S") for m in range(30, 35)]
    assert upper.errors == []
    assert _times(upper.received) == expected  # every packet once, in order, across the restart
    assert {p.mn for p in upper.received} == {upper_mn}
    assert {p.pw for p in upper.received} == {UPPER_PW}
    assert all(p.reply_needed and p.cn == "2051" and not p.warnings for p in upper.received)
    assert upper.received[0].cp["a34004-Avg"] == "30"
    assert backlog(db)[target_id] == (0, 35, 0)
    sent = db.execute("SELECT count(*) FROM forward_queue WHERE target_id = %s AND sent_at IS NOT NULL "
                      "AND attempts = 1", (target_id,)).fetchone()
    assert sent == (35,)


def test_unacknowledged_packet_is_resent_and_order_kept(db: psycopg.Connection, forward_url: str) -> None:
    mn = "FC0000000000000000000001"
    device_id, site_id = _device(db, mn, "FWD-C")
    port = free_port()
    target_id = add_target(db, name="nation", host="127.0.0.1", port=port, password=UPPER_PW, sites=["FWD-C"],
                           mapping={}, actor="test", version="2025", ack_timeout_s=0.5)
    frames = [_minute(mn, m) for m in range(5)]
    _store(db, "batch-c", [(f, device_id, site_id, mn) for f in frames])
    lost_qn = f"{START + timedelta(minutes=2):%Y%m%d%H%M%S}002"

    async def scenario() -> UpperPlatform:
        upper = UpperPlatform(port, ignore_first=frozenset({lost_qn}))
        await upper.start()
        await _run_until(forward_url, lambda: backlog(db)[target_id][0] == 0)
        await upper.stop()
        return upper

    upper = asyncio.run(scenario())
    assert [p.qn for p in upper.received].count(lost_qn) == 2
    times = _times(upper.received)
    assert times == sorted(times)  # the re-send comes before anything later
    first, again = (p for p in upper.received if p.qn == lost_qn)
    assert first.version is Version.HJ212_2025 and not first.resend and again.resend  # RF=1 (HJ 212-2025)
    assert {p.mn for p in upper.received} == {mn}  # unmapped device keeps its MN
    attempts = db.execute("SELECT attempts FROM forward_queue WHERE target_id = %s ORDER BY id",
                          (target_id,)).fetchall()
    assert [a for (a,) in attempts] == [1, 1, 2, 1, 1]


def test_frame_that_cannot_be_sent_strictly_is_set_aside(db: psycopg.Connection, forward_url: str) -> None:
    old_mn = "OLD2005STN01"  # HJ/T 212-2005 MN (up to 14 characters), not a 2017 MN: needs a --map
    device_id, site_id = _device(db, old_mn, "FWD-B", version="2005")
    port = free_port()
    target_id = add_target(db, name="city", host="127.0.0.1", port=port, password=UPPER_PW, sites=["FWD-B"],
                           mapping={}, actor="test", ack_timeout_s=1.0)
    _store(db, "batch-old", [(_minute(old_mn, 0, version=Version.HJT212_2005), device_id, site_id, old_mn)])

    async def scenario() -> UpperPlatform:
        upper = UpperPlatform(port)
        await upper.start()
        await _run_until(forward_url, lambda: backlog(db)[target_id][2] == 1)
        await upper.stop()
        return upper

    upper = asyncio.run(scenario())
    assert upper.received == []
    (error,) = db.execute("SELECT error FROM forward_queue WHERE target_id = %s", (target_id,)).fetchone()
    assert "MN" in error


def test_target_definition_is_checked_and_audited(db: psycopg.Connection) -> None:
    with pytest.raises(TargetError, match="unknown site"):
        add_target(db, name="bad", host="h", port=1, password=UPPER_PW, sites=["NOPE"], mapping={}, actor="t")
    with pytest.raises(TargetError, match="24 characters"):
        add_target(db, name="bad", host="h", port=1, password=UPPER_PW, sites=["FWD-A"], mapping={"X": "y"},
                   actor="t")
    with pytest.raises(TargetError, match="6 characters"):
        add_target(db, name="bad", host="h", port=1, password="short", sites=["FWD-A"], mapping={}, actor="t")
    add_target(db, name="audited", host="h", port=1, password=UPPER_PW, sites=["FWD-A"], mapping={}, actor="alice")
    with pytest.raises(TargetError, match="exists"):
        add_target(db, name="audited", host="h", port=1, password=UPPER_PW, sites=["FWD-A"], mapping={}, actor="t")
    assert db.execute("SELECT actor FROM audit_event WHERE action = 'hj212.forward.add' "
                      "AND detail->>'host' = 'h'").fetchall() == [("alice",)]
