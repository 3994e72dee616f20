"""PNUM/PNO sub-packets (HJ 212-2017 Table 3, Tables C.47-C.50; HJ 212-2025 §8.1.2: split segments over 1024)."""

import pytest
from hj212_vectors import MN

from ecomon.ingest.hj212.codec import SplitError, Version, build, decode, encode
from ecomon.ingest.hj212.codec.split import part_key, reassemble, split


def hour_packet(factors: int) -> object:
    cp = {"DataTime": "20160801080000"}
    for n in range(factors):
        for kind, value in (("Cou", "1.5"), ("Min", "10.1"), ("Avg", "12.2"), ("Max", "15.3"), ("Flag", "N")):
            cp[f"w{n:05d}-{kind}"] = value
    return build("2061", cp, version=Version.HJ212_2017, st="32", pw="123456", mn=MN, qn="20160801085857223",
                 reply=True)


def test_big_hour_packet_is_split_under_1024_with_repeated_datatime_and_own_qn() -> None:
    packet = hour_packet(40)
    parts = split(packet)
    assert len(parts) > 1
    for n, part in enumerate(parts, start=1):
        raw = encode(part)
        assert len(raw) - 12 <= 1024
        decoded = decode(raw)
        assert (decoded.pnum, decoded.pno, decoded.flag) == (len(parts), n, 7)  # Flag 7 = split + reply (2017)
        assert decoded.cp["DataTime"] == "20160801080000"
    assert len({p.qn for p in parts}) == len(parts)
    assert reassemble(list(reversed(parts))) == packet


def test_small_packet_is_not_split() -> None:
    packet = hour_packet(2)
    assert split(packet) == [packet]


def test_parts_of_one_packet_share_a_key() -> None:
    parts = split(hour_packet(40))
    assert len({part_key(p) for p in parts}) == 1


def test_missing_part_is_reported() -> None:
    parts = split(hour_packet(40))
    with pytest.raises(SplitError, match="missing PNO \\[2\\]"):
        reassemble([p for p in parts if p.pno != 2])


def test_parts_of_different_packets_are_refused() -> None:
    a, b = split(hour_packet(40))[:2]
    other = build(b.cn or "", {**b.cp, "DataTime": "20160801090000"}, version=b.version, st="32", pw="123456",
                  mn=MN, qn=b.qn, pnum=b.pnum, pno=b.pno)
    with pytest.raises(SplitError, match="different packets"):
        reassemble([a, other])


def test_2025_split_flags_are_10_and_11() -> None:
    packet = build("2051", hour_packet(40).cp, version=Version.HJ212_2025, st="31", pw="123456", mn=MN,
                   qn="20240601085857223")
    assert {decode(encode(p)).flag for p in split(packet)} == {10}
