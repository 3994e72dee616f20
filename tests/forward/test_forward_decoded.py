"""Forwarding of what the archived frame alone does not give (SM4-encrypted CP, split sets the gateway
reassembled), of enterprise outlets (CEMS devices), and the RF=1 re-send after a forwarder dies mid-flight."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta

import psycopg

from ecomon.ingest.hj212.codec import Packet, Version, build, encode
from ecomon.ingest.hj212.codec.split import reassemble, split
from ecomon.ingest.hj212.forward.queue import backlog
from ecomon.ingest.hj212.forward.sender import TargetSender
from ecomon.ingest.hj212.forward.targets import add_target
from ecomon.ingest.hj212.gateway.server import FORWARDED_HEADER
from ecomon.ingest.hj212.stream import FrameRecord, encode_batch
from ecomon.ingest.hj212.writer import store_batches
from tests.forward.conftest import UpperPlatform, free_port
from tests.forward.test_forwarding import START, TZ, UPPER_PW, _device, _run_until

KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")  # GB/T 32907-2016 Appendix A key


def _cp(minute: int, factors: int = 2) -> dict[str, str]:
    cp = {"DataTime": f"{START + timedelta(minutes=minute):%Y%m%d%H%M%S}"}
    for n, code in enumerate(("a34004", "a21026", "a21004", "a21005", "a05024", "a34002")[:factors]):
        cp |= {f"{code}-Avg": f"{10 + n + minute}", f"{code}-Flag": "N"}
    return cp


def _record(frame: bytes, device_id: int, mn: str, *, site_id: int | None = None, outlet_id: int | None = None,
            whole: Packet | None = None) -> FrameRecord:
    """The record the gateway publishes; with `whole` as for a decoded packet (cp and its forwarded header)."""
    header = {k: whole.header[k] for k in FORWARDED_HEADER if k in whole.header} if whole else None
    return FrameRecord(datetime.now(UTC).isoformat(), "127.0.0.1:1", "test-dec", frame.decode("latin-1"),
                       device_id, site_id, mn, "2051", None, None, dict(whole.cp) if whole else None, outlet_id,
                       header)


def _forward_all(db: psycopg.Connection, forward_url: str, port: int, target_id: int) -> UpperPlatform:
    """Run the forwarder against an upper platform on `port` until the target's backlog is empty."""
    async def scenario() -> UpperPlatform:
        upper = UpperPlatform(port)
        await upper.start()
        await _run_until(forward_url, lambda: backlog(db)[target_id][0] == 0)
        await upper.stop()
        return upper

    return asyncio.run(scenario())


def _store(conn: psycopg.Connection, key: str, records: list[FrameRecord]) -> None:
    conn.autocommit = False
    try:
        store_batches(conn, [(key, encode_batch(records))], TZ)
    finally:
        conn.autocommit = True


def test_decrypted_and_reassembled_packets_are_forwarded_from_the_decoded_cp(db: psycopg.Connection,
                                                                              forward_url: str) -> None:
    mn_sm4, mn_split = "FD0000000000000000000001", "FD0000000000000000000002"
    device_sm4, site_id = _device(db, mn_sm4, "FWD-A", version="2025")
    device_split, _ = _device(db, mn_split, "FWD-A")
    port = free_port()
    target_id = add_target(db, name="decoded", host="127.0.0.1", port=port, password=UPPER_PW, sites=["FWD-A"],
                           mapping={}, actor="test", ack_timeout_s=1.0)
    secret = build("2051", _cp(0), version=Version.HJ212_2025, st="22", pw="123456", mn=mn_sm4,
                   qn="20240520080000001", reply=True)
    cipher_frame = encode(secret, key=KEY)
    assert b"a34004" not in cipher_frame  # the archive holds ciphertext only
    whole = build("2051", _cp(1, factors=6), version=Version.HJ212_2017, st="22", pw="123456", mn=mn_split,
                  qn="20240520080100002", reply=True)
    parts = split(whole, max_segment=180)
    assert len(parts) >= 2
    reassembled = reassemble(parts)
    records = [_record(cipher_frame, device_sm4, mn_sm4, site_id=site_id, whole=secret)]
    records += [_record(encode(p), device_split, mn_split) for p in parts[:-1]]  # held: no site, no observations
    records.append(_record(encode(parts[-1]), device_split, mn_split, site_id=site_id, whole=reassembled))
    _store(db, "batch-decoded", records)
    assert backlog(db)[target_id] == (2, 0, 0)

    upper = _forward_all(db, forward_url, port, target_id)
    assert upper.errors == []  # strictly conforming (the platform decodes strictly)
    got_sm4, got_split = upper.received
    assert (got_sm4.mn, got_sm4.qn, dict(got_sm4.cp)) == (mn_sm4, secret.qn, dict(secret.cp))
    assert got_sm4.version is Version.HJ212_2017  # the target's version, CP in plain text
    assert (got_split.mn, got_split.qn, dict(got_split.cp)) == (mn_split, reassembled.qn, dict(whole.cp))
    assert got_split.pnum is None and got_split.pno is None  # the whole set, as one packet
    assert all(p.st == "22" and p.pw == UPPER_PW and p.reply_needed for p in upper.received)


def test_outlet_devices_are_forwarded_to_targets_that_receive_the_outlet(db: psycopg.Connection,
                                                                         forward_url: str) -> None:
    (enterprise_id,) = db.execute(
        "INSERT INTO enterprise (uscc, name_zh, region_code, updated_by) VALUES ('91110000600037341L', "
        "'转发测试企业', '110000', 'test') RETURNING id").fetchone()
    (outlet_id,) = db.execute("INSERT INTO outlet (enterprise_id, code, name_zh, kind, updated_by) "
                              "VALUES (%s, 'DA001', '1号排口', 'gas', 'test') RETURNING id", (enterprise_id,)).fetchone()
    mn = "FE0000000000000000000001"
    (device_id,) = db.execute("INSERT INTO device (mn, password_hash, outlet_id, updated_by) "
                              "VALUES (%s, 'x', %s, 'test') RETURNING id", (mn, outlet_id)).fetchone()
    port = free_port()
    target_id = add_target(db, name="cems", host="127.0.0.1", port=port, password=UPPER_PW, sites=[],
                           outlets=["91110000600037341L/DA001"], mapping={}, actor="test", ack_timeout_s=1.0)
    assert db.execute("SELECT detail->'outlets' FROM audit_event WHERE target = %s",
                      (f"forward_target:{target_id}",)).fetchone() == (["91110000600037341L/DA001"],)
    frames = [encode(build("2051", _cp(m), version=Version.HJ212_2017, st="31", pw="123456", mn=mn,
                           qn=f"2024052008{m:02d}00000", reply=True)) for m in range(3)]
    _store(db, "batch-outlet", [_record(f, device_id, mn, outlet_id=outlet_id) for f in frames])
    assert backlog(db)[target_id] == (3, 0, 0)

    upper = _forward_all(db, forward_url, port, target_id)
    assert [p.cp["DataTime"] for p in upper.received] == [_cp(m)["DataTime"] for m in range(3)]
    assert {(p.mn, p.st) for p in upper.received} == {(mn, "31")}


def test_packet_in_flight_when_the_forwarder_dies_is_resent_with_rf_1(db: psycopg.Connection,
                                                                       forward_url: str) -> None:
    mn = "FF0000000000000000000001"
    device_id, site_id = _device(db, mn, "FWD-C")
    port = free_port()
    target_id = add_target(db, name="nation-rf", host="127.0.0.1", port=port, password=UPPER_PW, sites=["FWD-C"],
                           mapping={}, actor="test", version="2025", ack_timeout_s=30.0)
    frames = [encode(build("2051", _cp(m), version=Version.HJ212_2017, st="22", pw="123456", mn=mn,
                           qn=f"2024052009{m:02d}00000", reply=True)) for m in range(2)]
    _store(db, "batch-rf", [_record(f, device_id, mn, site_id=site_id) for f in frames])
    in_flight = "20240520090000000"

    async def scenario() -> UpperPlatform:
        upper = UpperPlatform(port, ignore_first=frozenset({in_flight}))  # its ACK never comes
        await upper.start()
        # The forwarder dies while waiting for the ACK: nothing after the write runs (as after kill -9).
        doomed = asyncio.create_task(TargetSender(forward_url, target_id, asyncio.Event(), poll_s=0.05).run())
        deadline = time.monotonic() + 20
        while not upper.received:
            assert time.monotonic() < deadline and not doomed.done()
            await asyncio.sleep(0.02)
        doomed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await doomed
        await _run_until(forward_url, lambda: backlog(db)[target_id][0] == 0)
        await upper.stop()
        return upper

    upper = asyncio.run(scenario())
    first, again, second = upper.received
    assert first.qn == again.qn == in_flight and second.qn != in_flight
    assert first.version is Version.HJ212_2025 and not first.resend
    assert again.resend and not second.resend  # RF=1 only on the copy that may be a duplicate
    attempts = db.execute("SELECT attempts, sent_at IS NOT NULL FROM forward_queue WHERE target_id = %s ORDER BY id",
                          (target_id,)).fetchall()
    assert attempts == [(2, True), (1, True)]
