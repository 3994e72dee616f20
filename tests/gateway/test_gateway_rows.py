"""Data packets → observation rows (HJ 212-2017 App. C): which value kind is stored at which interval, and
DataTime read as the device's local time (UTC+8)."""

from __future__ import annotations

from datetime import UTC, datetime

from ecomon.ingest.hj212.codec import Packet, Version, build
from ecomon.ingest.hj212.gateway.rows import packet_rows, to_frame
from ecomon.ingest.hj212.gateway.server import refusal

KNOWN = frozenset({"a34004", "a21026"})


def packet(cn: str, cp: dict[str, str]) -> Packet:
    return build(cn, cp, version=Version.HJ212_2017, st="22", pw="123456", mn="A" * 24, qn="20260301080000000")


def test_2011_rtd_goes_to_raw_interval_with_its_flag_and_row_number() -> None:
    found = packet_rows(packet("2011", {"DataTime": "20260301080000", "a34004-Rtd": "35", "a34004-Flag": "N",
                                        "a21026-Rtd": "7.5", "a21026-Flag": "D"}), 9, 41, KNOWN)
    assert found.rows == [(9, None, "a34004", "raw", datetime(2026, 3, 1, 8), 35.0, "N", 41, 1),
                          (9, None, "a21026", "raw", datetime(2026, 3, 1, 8), 7.5, "D", 41, 2)]
    assert found.note is None


def test_2061_stores_avg_only_and_notes_unknown_codes_and_non_numbers() -> None:
    found = packet_rows(packet("2061", {"DataTime": "20260301080000", "a34004-Min": "20", "a34004-Avg": "30",
                                        "a34004-Max": "40", "x99999-Avg": "1", "a21026-Avg": "n/a"}), 9, 41, KNOWN)
    assert [(r[2], r[3], r[5]) for r in found.rows] == [("a34004", "hour", 30.0)]
    assert found.note == "skipped x99999 (unknown factor code), a21026-Avg='n/a' (not a number)"


def test_outlet_device_rows_carry_the_outlet_not_a_site() -> None:
    found = packet_rows(packet("2051", {"DataTime": "20260301080000", "a21026-Avg": "12"}), None, 41, KNOWN,
                        outlet_id=5)
    assert found.rows == [(None, 5, "a21026", "minute", datetime(2026, 3, 1, 8), 12.0, None, 41, 1)]


def test_packet_without_datatime_yields_no_rows_and_says_why() -> None:
    found = packet_rows(packet("2051", {"a34004-Avg": "30"}), 9, 41, KNOWN)
    assert (found.rows, found.note) == ([], "no observations: CP has no DataTime")


def test_local_datatime_becomes_utc_and_a_resent_row_in_one_batch_is_kept_once_per_place() -> None:
    row = (9, None, "a34004", "hour", datetime(2026, 3, 1, 8), 30.0, "N", 41, 1)
    frame = to_frame([row, (*row[:7], 42, 1), (None, 9, *row[2:])], "Asia/Shanghai")
    assert frame.height == 2  # site 9 once (the re-sent row wins), outlet 9 apart
    frame = frame.filter(frame["site_id"] == 9)
    assert frame["t"][0] == datetime(2026, 3, 1, 0, tzinfo=UTC)
    assert frame["source_id"][0] == 42


def test_refusal_is_9011_with_qnrtn_echoing_qn_and_2005_carries_qn_in_cp() -> None:
    p2017 = packet("2051", {"DataTime": "20260301080000"})
    answer = refusal(p2017, "3")
    assert (answer.cn, answer.qn, dict(answer.cp), answer.st) == ("9011", p2017.qn, {"QnRtn": "3"}, "91")
    p2005 = build("2051", {"DataTime": "20260301080000"}, version=Version.HJT212_2005, st="22", pw="123456",
                  mn="88888880000001", qn="20260301080000000")
    answer = refusal(p2005, "4")
    assert (answer.qn, dict(answer.cp)) == (None, {"QN": "20260301080000000", "QnRtn": "4"})
