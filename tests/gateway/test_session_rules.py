"""The session layer's pure rules: gap finding, clock reading, framing of encrypted frames, reassembly, which
commands operators may send and what replies mean, and sealing of SM4 keys."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest

from ecomon.ingest.hj212.codec import Version, build, encode
from ecomon.ingest.hj212.codec.split import split
from ecomon.ingest.hj212.session.clock import clock_offset
from ecomon.ingest.hj212.session.framing import missing_bytes, peek_mn
from ecomon.ingest.hj212.session.gaps import Gap, find_gaps, history_cp, usual_step
from ecomon.ingest.hj212.session.keys import DeviceKeyError, DeviceKeys, new_key, parse_key, seal, unseal
from ecomon.ingest.hj212.session.reassembly import Reassembler
from ecomon.ingest.hj212.session.requests import CommandRefused, check_operator_command, reply_qn, resolve

V17, V25, V05 = Version.HJ212_2017, Version.HJ212_2025, Version.HJT212_2005
MN = "010000A8900016F000169DC0"
T0 = datetime(2026, 3, 1, 8, 0)


def minutes(*offsets: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in offsets]


def test_gaps_are_the_holes_between_delivered_times_cut_into_bounded_windows() -> None:
    assert find_gaps(minutes(0, 1, 2, 6, 7), timedelta(minutes=1), 60) == [Gap(*minutes(3, 5), 3)]
    assert find_gaps(minutes(0, 10), timedelta(minutes=1), 4) == [Gap(*minutes(1, 4), 4), Gap(*minutes(5, 8), 4),
                                                                  Gap(*minutes(9, 9), 1)]
    assert find_gaps(minutes(0, 1, 2), timedelta(minutes=1), 60) == []
    assert history_cp(Gap(*minutes(3, 5), 3)) == {"BeginTime": "20260301080300", "EndTime": "20260301080500"}


def test_the_step_is_the_devices_own_most_common_spacing() -> None:
    five = minutes(0, 5, 10, 15, 30, 35)
    assert usual_step(five, timedelta(minutes=1)) == timedelta(minutes=5)
    assert find_gaps(five, usual_step(five, timedelta(minutes=1)), 60) == [Gap(*minutes(20, 25), 2)]
    assert usual_step(minutes(0), timedelta(hours=1)) == timedelta(hours=1)


def test_clock_is_read_from_qn_or_from_2011_datatime_never_from_interval_data() -> None:
    now = datetime(2026, 3, 1, 8, 0, 0)
    with_qn = build("2051", {"DataTime": "20260301060000"}, version=V17, st="22", pw="123456", mn=MN,
                    qn="20260301081000500")
    assert clock_offset(with_qn, now) == 600.5
    rtd_2005 = build("2011", {"DataTime": "20260301075900"}, version=V05, st="22", pw="123456", mn="88888880000001")
    assert clock_offset(rtd_2005, now) == -60
    minute_2005 = build("2051", {"DataTime": "20260301070000"}, version=V05, st="22", pw="123456",
                        mn="88888880000001")
    assert clock_offset(minute_2005, now) is None


def test_an_encrypted_frame_is_framed_by_its_length_field_and_its_mn_read_from_the_plain_header() -> None:
    packet = build("2051", {"DataTime": "20260301080000", "a34004-Avg": "12", "a34004-Flag": "N"}, version=V25,
                   st="22", pw="123456", mn=MN, qn="20260301080000000", reply=True)
    frame = encode(packet, key=b"0" * 16)
    assert peek_mn(frame[:40] + frame[40:]) == MN and missing_bytes(frame) == 0
    assert missing_bytes(frame[:50]) == len(frame) - 50
    assert peek_mn(b"garbage") is None and missing_bytes(b"##12") == 0


def test_parts_are_held_until_the_set_is_complete_and_stale_sets_expire() -> None:
    cp = {"DataTime": "20260301080000", **{f"a3400{i}-Avg": str(i) for i in range(1, 8)}}
    whole = build("2061", cp, version=V17, st="22", pw="123456", mn=MN, qn="20260301080000000", reply=True)
    parts = split(whole, 150)
    assert len(parts) >= 3
    held = Reassembler(hold_s=60)
    outcomes = [held.add(p, now=0.0) for p in reversed(parts)]  # order does not matter
    assert [o.complete for o in outcomes[:-1]] == [None] * (len(parts) - 1)
    assert dict(outcomes[-1].complete.cp) == cp and len(held) == 0
    held.add(parts[0], now=0.0)
    assert held.expire(now=30.0) == [] and held.expire(now=61.0) == [((MN, "2061", len(parts), cp["DataTime"]), 1)]


def test_operators_may_send_platform_commands_of_the_devices_version_only() -> None:
    check_operator_command("1062", {"RtdInterval": "30"}, V17)
    check_operator_command("2051", {"BeginTime": "20260301000000", "EndTime": "20260301010000"}, V17)
    check_operator_command("2012", {}, V25)
    for cn, cp, version, why in [("9014", {}, V17, "not sent by the platform"), ("1014", {}, V25, "platform itself"),
                                 ("1072", {"NewPW": "654321"}, V17, "platform itself"),
                                 ("3024", {"PolId": "w01018"}, V17, "not defined in HJ 212-2017"),
                                 ("2061", {}, V17, "BeginTime"), ("7777", {}, V17, "not a command code")]:
        with pytest.raises(CommandRefused, match=why):
            check_operator_command(cn, cp, version)


def test_replies_resolve_commands_and_2005_echoes_the_qn_in_cp() -> None:
    def reply(cn: str, cp: dict[str, str], version: Version = V17) -> object:
        return build(cn, cp, version=version, st="91", pw="123456", mn=MN if version is not V05 else "88888880000001",
                     qn=None if version is V05 else "20260301080000000")

    assert resolve(reply("9011", {"QnRtn": "1"}), "1011").state == "accepted"
    refused = resolve(reply("9011", {"QnRtn": "3"}), "1011")
    assert (refused.state, refused.finished, refused.qn_rtn) == ("refused", True, "3")
    assert resolve(reply("9012", {"ExeRtn": "100"}), "2051").state == "failed"
    assert resolve(reply("9013", {}), "2012").state == "done"
    assert resolve(reply("9013", {}), "1011") is None
    assert reply_qn(reply("9012", {"QN": "20260301080000000", "ExeRtn": "1"}, V05)) == "20260301080000000"


def test_keys_are_random_sealed_per_device_and_never_shown() -> None:
    master = os.urandom(32)
    key = new_key()
    assert len(key) == 16 and key != new_key() and key.isalnum()
    sealed = seal(key, master, 7)
    assert key not in sealed and unseal(sealed, master, 7) == key
    with pytest.raises(DeviceKeyError, match="device 8") as failure:
        unseal(sealed, master, 8)  # bound to its device: a copied row does not unseal
    assert key.decode() not in str(failure.value)
    assert parse_key("30" * 16) == b"0" * 16 and parse_key("K3y9Qw7ZtP2mX8vL") == b"K3y9Qw7ZtP2mX8vL"
    with pytest.raises(DeviceKeyError):
        parse_key("short")
    assert "K3y9" not in repr(DeviceKeys(b"K3y9Qw7ZtP2mX8vL", None))
