"""The session layer end to end (field unit → real gateway → JetStream → writer → PostgreSQL), following the flows
of HJ 212-2017 §6.5-6.7 (reference §6): operator commands with 9011/9012 recorded, clock drift → 1012 time set,
1013 → 9013 + 1012, split packets (PNUM/PNO) reassembled, an SM4 device (HJ 212-2025 §6.4) including a key
rotation by 1014, gap → history request → re-sent data fills it, and kill -9 of the gateway losing nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import psycopg
from field_unit import FieldUnit
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
from psycopg.rows import dict_row

from ecomon.ingest.hj212.codec import Version, encode
from ecomon.ingest.hj212.simulator import device_mn

AIR = {"a34004": 35.0, "a34002": 60.0, "a21026": 7.0, "a21004": 30.0, "a05024": 80.0, "a21005": 0.6}


def unit(services: Services, mn: str, **options: object) -> FieldUnit:
    return FieldUnit(mn, PASSWORD, "127.0.0.1", services.port, **options)  # type: ignore[arg-type]


def query(url: str, sql: str, *args: object) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()


def commands_of(url: str, mn: str) -> list[dict]:
    return query(url, "SELECT c.* FROM device_command c JOIN device d ON d.id = c.device_id WHERE d.mn = %s "
                      "ORDER BY c.id", mn)


def test_operator_commands_are_sent_answered_and_recorded(services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "C1", 1)
    mn = device_mn("C1", 1)

    async def scenario() -> tuple[FieldUnit, list]:
        fu = unit(services, mn)
        await fu.connect()
        assert (await fu.upload(fu.data("2051", datetime(2026, 3, 10, 8, 0), AIR))).cn == "9014"
        results = [await asyncio.to_thread(services.cli, "command", mn, "1011", "--wait", "30"),
                   await asyncio.to_thread(services.cli, "command", mn, "1062", "RtdInterval=30", "--wait", "30")]
        online = await asyncio.to_thread(services.cli, "devices", "--mn", mn)
        await fu.close()
        return fu, [*results, online]

    fu, (get_time, set_rtd, online) = asyncio.run(scenario())
    assert get_time.returncode == 0, get_time.stderr + get_time.stdout
    answer = json.loads(get_time.stdout)
    assert (answer["state"], answer["qn_rtn"], answer["exe_rtn"]) == ("done", "1", "1")
    assert len(answer["response"]["SystemTime"]) == 14
    assert set_rtd.returncode == 0, set_rtd.stderr
    assert [(p.cn, dict(p.cp)) for p in fu.requests] == [("1011", {}), ("1062", {"RtdInterval": "30"})]
    assert fu.requests[1].qn == json.loads(set_rtd.stdout)["qn"]
    state = json.loads(online.stdout)
    assert state["online"] is True and state["open_commands"] == 0
    assert [c["requested_by"].startswith("cli:") for c in commands_of(url, mn)] == [True, True]
    assert query(url, "SELECT count(*) AS n FROM audit_event WHERE action = 'hj212.command' AND target = %s",
                 mn) == [{"n": 2}]
    refused = services.cli("command", mn, "2051")
    assert refused.returncode == 2 and "BeginTime" in refused.stderr
    wait_for(lambda: json.loads(services.cli("devices", "--mn", mn).stdout)["online"] is False, 15,
             "the closed connection to show the device offline")


def test_clock_drift_and_a_1013_request_lead_to_a_recorded_time_set(services: Services,
                                                                   gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "C2", 2)
    drifting, asking = device_mn("C2", 1), device_mn("C2", 2)

    async def scenario() -> tuple[FieldUnit, FieldUnit, int]:
        late = unit(services, drifting, clock_offset=timedelta(minutes=-10))
        ask = unit(services, asking)
        await late.connect()
        await ask.connect()
        assert (await late.upload(late.data("2051", datetime(2026, 3, 11, 8, 0), AIR))).cn == "9014"
        notice = await ask.upload(ask.data("2051", datetime(2026, 3, 11, 8, 0), AIR))
        assert notice is not None
        from ecomon.ingest.hj212.codec import build

        request = build("1013", {}, version=Version.HJ212_2017, st="22", pw=PASSWORD, mn=asking, qn=ask.qn(),
                        reply=True)
        answer = await ask.upload(request)
        assert answer is not None and answer.cn == "9013"
        for _ in range(100):
            if len(late.requests) and len(ask.requests) and abs(late.clock_offset) < timedelta(seconds=5):
                break
            await asyncio.sleep(0.1)
        assert (await late.upload(late.data("2051", datetime(2026, 3, 11, 8, 1), AIR))).cn == "9014"
        await asyncio.sleep(2.5)  # a corrected clock is not set again
        requests_after = len(late.requests)
        await late.close()
        await ask.close()
        return late, ask, requests_after

    late, ask, requests_after = asyncio.run(scenario())
    assert [p.cn for p in late.requests] == ["1012"] and requests_after == 1
    assert abs(late.clock_offset) < timedelta(seconds=5)
    assert [p.cn for p in ask.requests] == ["1012"]
    for mn in (drifting, asking):
        wait_for(lambda mn=mn: [c["state"] for c in commands_of(url, mn)] == ["done"], 20, "the time set to finish")
        (command,) = commands_of(url, mn)
        assert (command["cn"], command["origin"], command["exe_rtn"]) == ("1012", "time_calibration", "1")
        assert len(command["cp"]["SystemTime"]) == 14
    (event,) = query(url, "SELECT e.detail FROM device_event e JOIN device d ON d.id = e.device_id "
                          "WHERE d.mn = %s AND e.kind = 'clock_drift'", drifting)
    assert -610 < event["detail"]["offset_s"] < -590


def test_split_packet_parts_are_each_acked_and_stored_once_from_the_reassembled_packet(
        services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    sites = register_stations(url, "C3", 1)
    mn = device_mn("C3", 1)

    async def scenario() -> tuple[FieldUnit, list]:
        fu = unit(services, mn)
        await fu.connect()
        answers = await fu.upload_split(fu.data("2061", datetime(2026, 3, 12, 9, 0), AIR), max_segment=170)
        await fu.close()
        return fu, answers

    fu, answers = asyncio.run(scenario())
    assert len(answers) >= 3 and all(a is not None and a.cn == "9014" for a in answers)
    wait_for(lambda: frames_archived(url, [mn]) == len(answers), 30, "every part archived")
    t = datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI)
    wait_for(lambda: len(stored(url, sites)) == len(AIR), 30, "the reassembled packet's values")
    assert stored(url, sites) == {(sites[mn], code, "hour", t): [value] for code, value in AIR.items()}
    flags = query(url, "SELECT DISTINCT o.data_flag FROM observation o JOIN series s ON s.id = o.series_id "
                       "WHERE s.site_id = %s", sites[mn])
    assert flags == [{"data_flag": "N"}]  # a flag in a later part than its value still reaches the value
    notes = [r["note"] for r in query(url, "SELECT note FROM raw_frame WHERE mn = %s ORDER BY id", mn)]
    assert all("held for reassembly" in n for n in notes[:-1]) and "completes the set" in notes[-1]
    frames = [bytes(r["frame"]) for r in query(url, "SELECT frame FROM raw_frame WHERE mn = %s ORDER BY id", mn)]
    assert frames == fu.sent_frames


def _frame_with_crlf_inside(fu: FieldUnit) -> tuple:
    """A data packet whose SM4 ciphertext contains CR LF, so framing by CR LF alone would cut it."""
    for n in range(20000):
        values = {**AIR, "a34004": float(n)}
        packet = fu.data("2051", datetime(2026, 3, 13, 8, 0), values, qn="20260313080000000")
        if b"\r\n" in encode(packet, key=fu.key)[:-2]:
            return packet, values
    raise AssertionError("no such packet found")


def test_sm4_device_is_decrypted_stored_and_its_key_rotated(services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    sites = register_stations(url, "C4", 1)
    mn = device_mn("C4", 1)
    first_key = "K3y9Qw7ZtP2mX8vL"
    added = services.cli("device", "add", "--mn", mn, "--password", "-", "--site", f"GW-{mn}", "--version", "2025",
                         "--sm4-key", "-", stdin=f"{PASSWORD}\n{first_key}\n")
    assert added.returncode == 0, added.stderr
    assert first_key not in added.stdout and PASSWORD not in added.stdout

    async def scenario() -> tuple[FieldUnit, dict, object]:
        fu = unit(services, mn, version=Version.HJ212_2025, key=first_key.encode())
        await fu.connect()
        packet, values = _frame_with_crlf_inside(fu)
        packet = fu.data("2051", datetime(2026, 3, 13, 8, 0), values)
        assert b"CP=&&DataTime" not in encode(packet, key=fu.key)
        assert (await fu.upload(packet)).cn == "9014"
        rotated = await asyncio.to_thread(services.cli, "device", "rotate", "--mn", mn)
        for _ in range(200):
            if fu.key != first_key.encode():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        after = {**AIR, "a34004": 41.0}
        assert (await fu.upload(fu.data("2051", datetime(2026, 3, 13, 8, 1), after))).cn == "9014"
        await fu.close()
        return fu, values, rotated

    fu, values, rotated = asyncio.run(scenario())
    assert rotated.returncode == 0, rotated.stderr
    assert fu.key != first_key.encode() and len(fu.key or b"") == 16
    assert [p.cn for p in fu.requests] == ["1014"]
    wait_for(lambda: len(stored(url, sites)) == 2 * len(AIR), 30, "both minutes stored")
    got = stored(url, sites)
    assert got[(sites[mn], "a34004", "minute", datetime(2026, 3, 13, 8, 0, tzinfo=SHANGHAI))] == [values["a34004"]]
    assert got[(sites[mn], "a34004", "minute", datetime(2026, 3, 13, 8, 1, tzinfo=SHANGHAI))] == [41.0]
    archived = [bytes(r["frame"]) for r in query(url, "SELECT frame FROM raw_frame WHERE mn = %s AND cn = '2051' "
                                                      "ORDER BY id", mn)]
    assert archived == [f for f in fu.sent_frames if b"CN=2051" in f]  # ciphertext kept unaltered
    keys = query(url, "SELECT k.state, k.sealed FROM device_key k JOIN device d ON d.id = k.device_id "
                      "WHERE d.mn = %s ORDER BY k.id", mn)
    assert [k["state"] for k in keys] == ["retired", "active"]
    assert all(first_key.encode() not in bytes(k["sealed"]) and fu.key not in bytes(k["sealed"]) for k in keys)
    (command,) = commands_of(url, mn)
    assert (command["cn"], command["origin"], command["state"]) == ("1014", "key_rotation", "done")
    assert "NewSK" not in command["cp"]


def test_gap_is_noticed_requested_and_filled_by_the_resent_data(services: Services,
                                                               gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    sites = register_stations(url, "C5", 1)
    mn = device_mn("C5", 1)
    start = datetime(2026, 3, 14, 8, 0)
    skipped = range(10, 15)

    async def scenario() -> FieldUnit:
        fu = unit(services, mn)
        await fu.connect()
        for i in range(20):
            packet = fu.data("2051", start + timedelta(minutes=i), {**AIR, "a34004": float(i)})
            if i not in skipped:  # measured but lost on the way: kept by the unit for a history request
                assert (await fu.upload(packet)).cn == "9014"
        for _ in range(400):
            if query(url, "SELECT 1 FROM gap_request g JOIN device d ON d.id = g.device_id "
                          "WHERE d.mn = %s AND g.state = 'filled'", mn):
                break
            await asyncio.sleep(0.1)
        await fu.close()
        return fu

    fu = asyncio.run(scenario())
    (gap,) = query(url, "SELECT g.* FROM gap_request g JOIN device d ON d.id = g.device_id WHERE d.mn = %s", mn)
    assert (gap["interval_kind"], gap["begin_time"], gap["end_time"], gap["missing"], gap["state"]) == (
        "minute", start + timedelta(minutes=10), start + timedelta(minutes=14), 5, "filled")
    assert [(p.cn, dict(p.cp)) for p in fu.requests] == [
        ("2051", {"BeginTime": "20260314081000", "EndTime": "20260314081400"})]
    (command,) = commands_of(url, mn)
    assert (command["origin"], command["state"], command["response"]) == ("gap", "done", {"records": 5})
    assert_exactly_once(url, sites, fu.acked)
    assert len(stored(url, sites)) == 20 * len(AIR)


def test_gateway_killed_mid_run_loses_and_duplicates_nothing(services: Services,
                                                             gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    sites = register_stations(url, "C6", 4)
    start = datetime(2026, 3, 15, 0, 0)
    units = [unit(services, mn, answer_timeout=3.0) for mn in sites]

    async def device(fu: FieldUnit) -> None:
        for i in range(90):
            await fu.upload_until_acked(fu.data("2051", start + timedelta(minutes=i), {**AIR, "a34004": float(i)}))
        await fu.close()

    async def scenario() -> int:
        run = asyncio.gather(*(device(fu) for fu in units))
        while sum(len(fu.acked) for fu in units) < 60:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(services.kill_gateway)
        killed_at = sum(len(fu.acked) for fu in units)
        await asyncio.to_thread(services.start_gateway)
        await run
        return killed_at

    killed_at = asyncio.run(scenario())
    acked = [p for fu in units for p in fu.acked]
    assert killed_at < len(acked) == 4 * 90
    wait_for(lambda: len(stored(url, sites)) >= 4 * 90 * len(AIR), 60, "the writer to store every ACKed value")
    assert_exactly_once(url, sites, acked)


def test_cems_device_bound_to_an_outlet_feeds_outlet_series(services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "C7", 0)  # parameters and the region only
    mn = "C7" + "0" * 21 + "1"
    with psycopg.connect(url) as conn:
        enterprise = conn.execute(
            """INSERT INTO enterprise (uscc, name_zh, region_code, updated_by)
               VALUES ('91110000MA00000007', '网关测试电厂', '110000', 'test') RETURNING id""").fetchone()[0]
        outlet = conn.execute("INSERT INTO outlet (enterprise_id, code, name_zh, kind, updated_by) "
                              "VALUES (%s, 'DA001', '1号烟囱', 'gas', 'test') RETURNING id", (enterprise,)).fetchone()[0]
    added = services.cli("device", "add", "--mn", mn, "--password", "-", "--outlet", "91110000MA00000007/DA001",
                         stdin=f"{PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    flue = {"a21026": 18.0, "a21002": 45.0, "a34013": 3.2, "a19001": 8.9, "a01012": 92.0}

    async def scenario() -> FieldUnit:
        fu = unit(services, mn, st="31")  # ST 31: 大气环境污染源 (flue gas)
        await fu.connect()
        for i in range(2):
            assert (await fu.upload(fu.data("2051", datetime(2026, 3, 16, 8, i), flue))).cn == "9014"
        await fu.close()
        return fu

    fu = asyncio.run(scenario())
    wait_for(lambda: len(query(url, "SELECT 1 FROM observation o JOIN series s ON s.id = o.series_id "
                                    "WHERE s.outlet_id = %s", outlet)) == 2 * len(flue), 30, "the outlet's values")
    rows = query(url, "SELECT s.parameter_code, s.interval_kind, s.site_id, o.t, o.value FROM observation o "
                      "JOIN series s ON s.id = o.series_id WHERE s.outlet_id = %s ORDER BY o.t, s.parameter_code",
                 outlet)
    first = datetime(2026, 3, 16, 8, 0, tzinfo=SHANGHAI)
    assert {(r["parameter_code"], r["interval_kind"], r["site_id"], r["value"]) for r in rows if r["t"] == first} \
        == {(code, "minute", None, value) for code, value in flue.items()}
    assert len(fu.acked) == 2


def test_restarts_state_reports_and_a_2005_device_are_kept_and_queryable(services: Services,
                                                                         gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    sites = register_stations(url, "C8", 2)
    station, old_mn = device_mn("C8", 1), "C8000000000002"  # HJ/T 212-2005: MN of 14 characters
    with psycopg.connect(url) as conn:
        from ecomon.ingest.hj212.gateway.devices import register_device

        register_device(conn, old_mn, PASSWORD, site_id=sites[device_mn("C8", 2)], protocol_version="2005",
                        updated_by="test")

    async def scenario() -> tuple[FieldUnit, object]:
        fu = unit(services, station)
        old = unit(services, old_mn, version=Version.HJT212_2005)
        await fu.connect()
        await old.connect()
        from ecomon.ingest.hj212.codec import build

        for cn, cp in [("2081", {"DataTime": "20260317080000", "RestartTime": "20260317075930"}),
                       ("2021", {"DataTime": "20260317080000", "SB1-RS": "1", "SB2-RS": "0"})]:
            packet = build(cn, cp, version=Version.HJ212_2017, st="22", pw=PASSWORD, mn=station, qn=fu.qn(),
                           reply=True)
            assert (await fu.upload(packet)).cn == "9014"
        assert (await old.upload(old.data("2051", datetime(2026, 3, 17, 8, 0), AIR))).cn == "9014"
        get_time = await asyncio.to_thread(services.cli, "command", old_mn, "1011", "--wait", "30")
        await fu.close()
        await old.close()
        return old, get_time

    old, get_time = asyncio.run(scenario())
    assert get_time.returncode == 0, get_time.stderr + get_time.stdout
    answer = json.loads(get_time.stdout)
    assert (answer["state"], answer["qn_rtn"], answer["exe_rtn"]) == ("done", "1", "1")
    assert old.requests[0].version is Version.HJT212_2005
    wait_for(lambda: json.loads(services.cli("devices", "--mn", station).stdout)["restarts"] == 1, 15,
             "the restart to be recorded")
    state = json.loads(services.cli("devices", "--mn", station).stdout)
    (report,) = state["reports"]
    assert (report["cn"], report["cp"]) == ("2021", {"DataTime": "20260317080000", "SB1-RS": "1", "SB2-RS": "0"})
    assert [(e["kind"], e["detail"]["RestartTime"]) for e in state["events"]] == [("restart", "20260317075930")]
    listed = [json.loads(line) for line in services.cli("device", "list").stdout.splitlines()]
    assert {(d["mn"], d["protocol_version"]) for d in listed} >= {(old_mn, "2005"), (station, "2017")}
    wait_for(lambda: len(stored(url, {old_mn: sites[device_mn("C8", 2)]})) == len(AIR), 30, "the 2005 data")
