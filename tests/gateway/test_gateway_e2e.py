"""End to end: devices → gateway → JetStream → writer → PostgreSQL. The guarantee under test (ARCHITECTURE,
"a device is acknowledged only after its data is durable"): every datum the gateway ACKed with 9014 is in
PostgreSQL exactly once, also when the writer is killed with SIGKILL mid-run."""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import datetime

import psycopg
from gateway_support import (
    PASSWORD,
    SHANGHAI,
    Services,
    assert_exactly_once,
    frames_archived,
    register_stations,
    stored,
    wait_for,
)

from ecomon.ingest.hj212.codec import Packet, Version, build, decode, encode
from ecomon.ingest.hj212.simulator import SimResult, data_packet, device_mn, simulate


def exchange(port: int, packet: Packet) -> Packet:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(encode(packet))
        buf = b""
        while not buf.endswith(b"\r\n"):
            chunk = s.recv(4096)
            assert chunk, "gateway closed the connection without an answer"
            buf += chunk
    return decode(buf, lenient=True)


def test_every_acked_minute_and_hour_value_is_stored_exactly_once(services: Services,
                                                                 gateway_env: dict[str, str]) -> None:
    sites = register_stations(gateway_env["database_url"], "B1", 4)
    start = datetime(2026, 3, 1, 7, 0)  # 75 minutes: hour 07 is complete, so each device also sends one 2061
    result = asyncio.run(simulate("127.0.0.1", services.port, devices=4, minutes=75, password=PASSWORD,
                                  mn_prefix="B1", start=start))
    assert (result.sent, result.acked, result.refused, result.timeouts) == (4 * 76, 4 * 76, 0, 0)
    wait_for(lambda: frames_archived(gateway_env["database_url"], list(sites)) >= result.sent, 30,
             "the writer to archive every frame")
    assert_exactly_once(gateway_env["database_url"], sites, result.acked_packets)
    assert len(stored(gateway_env["database_url"], sites)) == 4 * 76 * 6


def test_wrong_password_is_refused_with_qnrtn_3_and_archived(services: Services,
                                                             gateway_env: dict[str, str]) -> None:
    sites = register_stations(gateway_env["database_url"], "B2", 1)
    mn = device_mn("B2", 1)
    packet = data_packet("2051", mn, "wrong1", datetime(2026, 3, 2, 10, 0), {"a34004": 12.0},
                         datetime(2026, 3, 2, 10, 0, 5))
    answer = exchange(services.port, packet)
    assert (answer.cn, answer.qn, answer.cp.get("QnRtn")) == ("9011", packet.qn, "3")
    unknown = data_packet("2051", device_mn("B2", 99), PASSWORD, datetime(2026, 3, 2, 10, 0), {"a34004": 12.0},
                          datetime(2026, 3, 2, 10, 0, 6))
    answer = exchange(services.port, unknown)
    assert (answer.cn, answer.cp.get("QnRtn")) == ("9011", "4")
    with psycopg.connect(gateway_env["database_url"]) as conn:
        def archived() -> list[tuple[str, str]]:
            return conn.execute("SELECT mn, reject_reason FROM raw_frame WHERE mn LIKE 'B2%%' ORDER BY id"
                                ).fetchall()
        wait_for(lambda: len(archived()) == 2, 30, "both refused frames to be archived")
        assert archived() == [(mn, f"wrong password for MN {mn}"), (device_mn("B2", 99),
                                                                     f"unknown MN {device_mn('B2', 99)!r}")]
        assert conn.execute("SELECT frame FROM raw_frame WHERE mn = %s", (mn,)).fetchone() == (encode(packet),)
    assert stored(gateway_env["database_url"], sites) == {}


def test_resent_packet_is_acked_twice_archived_twice_stored_once(services: Services,
                                                                 gateway_env: dict[str, str]) -> None:
    sites = register_stations(gateway_env["database_url"], "B3", 1)
    mn = device_mn("B3", 1)
    values = {"a34004": 31.0, "a21026": 6.0}
    first = data_packet("2061", mn, PASSWORD, datetime(2026, 3, 3, 9, 0), values, datetime(2026, 3, 3, 10, 0, 1))
    again = data_packet("2061", mn, PASSWORD, datetime(2026, 3, 3, 9, 0), values, datetime(2026, 3, 3, 10, 5, 1))
    assert exchange(services.port, first).cn == "9014"
    assert exchange(services.port, again).cn == "9014"
    wait_for(lambda: frames_archived(gateway_env["database_url"], [mn]) == 2, 30, "both frames archived")
    got = stored(gateway_env["database_url"], sites)
    t = datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)
    assert got == {(sites[mn], "a34004", "hour", t): [31.0], (sites[mn], "a21026", "hour", t): [6.0]}


def test_writer_killed_mid_run_loses_and_duplicates_nothing(services: Services,
                                                            gateway_env: dict[str, str]) -> None:
    sites = register_stations(gateway_env["database_url"], "B4", 6)
    outcome: list[SimResult] = []
    run = threading.Thread(target=lambda: outcome.append(asyncio.run(simulate(
        "127.0.0.1", services.port, devices=6, minutes=120, password=PASSWORD, mn_prefix="B4",
        start=datetime(2026, 3, 4, 0, 0)))))
    run.start()
    wait_for(lambda: frames_archived(gateway_env["database_url"], list(sites)) > 50, 30, "writing to start")
    services.kill_writer()
    killed_at = frames_archived(gateway_env["database_url"], list(sites))
    services.start_writer()
    run.join(120)
    result = outcome[0]
    assert result.acked == result.sent == 6 * 122
    assert killed_at < result.sent, "the writer finished before it was killed; the test proves nothing"
    wait_for(lambda: frames_archived(gateway_env["database_url"], list(sites)) >= result.sent, 60,
             "the restarted writer to catch up")
    assert frames_archived(gateway_env["database_url"], list(sites)) == result.sent
    assert_exactly_once(gateway_env["database_url"], sites, result.acked_packets)


def test_undecodable_frame_is_archived_with_reason_and_heartbeat_gets_9013(services: Services,
                                                                         gateway_env: dict[str, str]) -> None:
    register_stations(gateway_env["database_url"], "B5", 1)
    mn = device_mn("B5", 1)
    good = data_packet("2051", mn, PASSWORD, datetime(2026, 3, 5, 10, 0), {"a34004": 12.0},
                       datetime(2026, 3, 5, 10, 1))
    broken = encode(good)[:-6] + b"0000\r\n"  # CRC replaced
    heartbeat = build("9015", {}, version=Version.HJ212_2017, st="22", pw=PASSWORD, mn=mn, qn="20260305100200000",
                      reply=True)
    with socket.create_connection(("127.0.0.1", services.port), timeout=10) as s:
        s.sendall(broken + encode(heartbeat))
        answer = decode(s.recv(4096), lenient=True)  # nothing for the broken frame (HJ 212-2017 §6.5: discard)
    assert (answer.cn, answer.qn) == ("9013", heartbeat.qn)
    with psycopg.connect(gateway_env["database_url"]) as conn:
        def archived() -> list[tuple[bytes, str | None]]:
            return conn.execute("SELECT frame, reject_reason FROM raw_frame WHERE frame = %s OR mn = %s ORDER BY id",
                                (broken, mn)).fetchall()
        wait_for(lambda: len(archived()) == 2, 30, "both frames archived")
        (frame, reason), (_, heartbeat_reason) = archived()
        assert frame == broken and reason is not None and reason.startswith("undecodable: ")
        assert heartbeat_reason is None
        assert conn.execute("SELECT last_cn, frames_total FROM device_state s JOIN device d ON d.id = s.device_id "
                            "WHERE d.mn = %s", (mn,)).fetchone() == ("9015", 1)


def test_a_batch_the_database_refuses_does_not_hold_back_other_batches(services: Services,
                                                                        gateway_env: dict[str, str]) -> None:
    import nats

    from ecomon.ingest.hj212.stream import FrameRecord, encode_batch, subject

    sites = register_stations(gateway_env["database_url"], "B6", 1)
    mn = device_mn("B6", 1)

    def record(site_id: int, hour: int) -> FrameRecord:
        frame = encode(data_packet("2061", mn, PASSWORD, datetime(2026, 3, 6, hour), {"a34004": 20.0 + hour},
                                   datetime(2026, 3, 6, hour, 1)))
        return FrameRecord("2026-03-06T00:00:00+00:00", "test", "test-1", frame.decode("latin-1"), None, site_id,
                           mn, "2061", None, None)

    async def publish() -> None:
        nc = await nats.connect(gateway_env["nats_url"])
        js = nc.jetstream()
        await js.publish(subject(services.stream), encode_batch([record(2_000_000_000, 1)]),
                         headers={"Nats-Msg-Id": "poison-B6"})  # no such site: the FK refuses it
        await js.publish(subject(services.stream), encode_batch([record(sites[mn], 2)]),
                         headers={"Nats-Msg-Id": "good-B6"})
        await nc.close()

    asyncio.run(publish())
    wait_for(lambda: frames_archived(gateway_env["database_url"], [mn]) == 1, 30, "the good batch to be stored")
    t = datetime(2026, 3, 6, 2, tzinfo=SHANGHAI)
    assert stored(gateway_env["database_url"], sites) == {(sites[mn], "a34004", "hour", t): [22.0]}
