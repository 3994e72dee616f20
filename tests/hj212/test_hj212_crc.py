"""HJ 212-2017 Appendix A.1 CRC (unchanged in HJ 212-2025 App. A.1) against the standard's and others' vectors."""

import pytest
from hj212_vectors import MN, S2005_UPLOAD, S2017_9011, S2017_A1, S2017_C25, S2017_C40, S2025_9014, S2025_A1
from hypothesis import given
from hypothesis import strategies as st

from ecomon.ingest.hj212.codec.crc import crc16, crc16_hex, crc16_utf16


def appendix_a_loop(data: bytes) -> int:
    """The App. A.1 C routine, transcribed bit by bit: the specification the fast CRC must equal."""
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


@pytest.mark.parametrize(("segment", "crc"), [
    (S2017_A1, "1C80"),  # 2017 App. A packet
    (S2017_C25, "1E00"),  # Table C.25
    (S2005_UPLOAD, "4980"),
    (S2017_9011, "CC01"),
    (S2005_UPLOAD.replace(",", ";"), "E981"),
    (S2025_A1, "2200"),  # 2025 App. A.1
    (S2025_9014, "21C0"),
    ("", "FFFF"),
])
def test_appendix_a_vectors(segment: str, crc: str) -> None:
    assert crc16_hex(segment.encode("utf-8")) == crc


def test_non_ascii_crc_is_over_utf8_bytes_and_utf16_units_differ() -> None:
    assert crc16_hex(S2017_C40.encode("utf-8")) == "9741"
    assert crc16_hex(S2017_C40.encode("gbk")) == "DEC1"
    assert f"{crc16_utf16(S2017_C40):04X}" == "35C0"


@given(st.binary(max_size=1500))
def test_folded_crc_equals_the_appendix_loop(data: bytes) -> None:
    assert crc16(data) == appendix_a_loop(data)


def test_every_crc_is_an_arc_table_entry() -> None:
    """Reference §2: the low byte of an HJ 212 CRC is one of 00,01,40,41,80,81,C0,C1 (only the table's entries)."""
    lows = {crc16(f"MN={MN};n={n}".encode()) & 0xFF for n in range(500)}
    assert lows <= {0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1}
