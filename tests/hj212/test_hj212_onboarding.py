"""HJ 212-2025 onboarding: 1001 hardware IDs, 1002 MN assignment, 1014 key exchange (under the current key)."""

import pytest
from hj212_vectors import A2_KEY, MN

from ecomon.ingest.hj212.codec import BadField, decode, encode
from ecomon.ingest.hj212.codec.onboarding import (
    HardwareIds,
    hardware_ids,
    key_request,
    read_hardware_ids,
    read_key_exchange,
    set_key,
    set_mn,
)

QN = "20240601085857223"
IDS = HardwareIds("6970000000001ABCDEFG1234", "A800200A8C6D", "E86A643C7BBC", "A763742C1AE1")


def test_hardware_ids_roundtrip_with_empty_mn() -> None:
    packet = decode(encode(hardware_ids(IDS, st="91", pw="123456", qn=QN)))
    assert packet.mn == "" and packet.flag == 9 and read_hardware_ids(packet) == IDS


def test_set_mn_addresses_the_daq_id() -> None:
    packet = decode(encode(set_mn(IDS.daq_id, MN, st="91", pw="123456", qn=QN)))
    assert (packet.cn, packet.mn, packet.cp) == ("1002", MN, {"i23005-Info": IDS.daq_id})


def test_key_set_travels_encrypted_under_the_current_key() -> None:
    new_key = b"Kx93mQ0aZ7pL2vB8"
    raw = encode(set_key(new_key, QN, st="32", pw="123456", mn=MN, qn=QN), key=A2_KEY)
    assert new_key not in raw
    assert read_key_exchange(decode(raw, key=A2_KEY)) == (QN, new_key)


def test_key_request_has_no_new_key() -> None:
    packet = decode(encode(key_request(QN, st="32", pw="123456", mn=MN, qn=QN), key=A2_KEY), key=A2_KEY)
    assert read_key_exchange(packet) == (QN, None)


def test_a_key_that_cannot_travel_as_text_is_refused() -> None:
    with pytest.raises(BadField, match="NewSK"):
        set_key(bytes(range(16)), QN, st="32", pw="123456", mn=MN, qn=QN)
