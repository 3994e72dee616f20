"""Reference §8 deviations: lenient mode accepts each with its warning, strict mode rejects it with a typed error."""

import pytest
from hj212_vectors import MN, S2017_A1, S2017_C40, frame

from ecomon.ingest.hj212.codec import (
    BadCrcField,
    BadEncoding,
    BadField,
    BadHeader,
    BadTerminator,
    CrcMismatch,
    Hj212Error,
    LengthMismatch,
    Version,
    VersionMismatch,
    decode,
)
from ecomon.ingest.hj212.codec.crc import crc16, crc16_hex, crc16_utf16

GOOD = frame(S2017_A1)
HEAD = f"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN={MN};Flag=5;"
DATA = "CP=&&DataTime=20160801085857;a34004-Rtd=14,a34004-Flag=N&&"


def gbk_frame() -> bytes:
    segment = S2017_C40.encode("gbk")
    return frame(segment)


CASES = [
    # (case, frame, version, warning, strict error)
    ("lower-case CRC (§8.3)", GOOD.replace(b"1C80", b"1c80"), None, "CRC written in lower-case hex", BadCrcField),
    ("terminator LF only (§8.6)", GOOD[:-2] + b"\n", None, "frame ends with LF instead of CR LF", BadTerminator),
    ("terminator missing (§8.6)", GOOD[:-2], None, "frame ends with nothing instead of CR LF", BadTerminator),
    ("length field wrong (§8.2)", frame(S2017_A1, length=107), None, "length field 0107 but data segment is 101",
     LengthMismatch),
    ("junk before ## (§8.1)", b"\x00\x01xx" + GOOD, None, "4 byte(s) before '##' skipped", BadHeader),
    ("QN missing (§8.7)", frame(S2017_A1.replace("QN=20160801085857223;", "")), Version.HJ212_2017, "QN missing",
     BadField),
    ("Flag missing (§8.7)", frame(S2017_A1.replace("Flag=5;", "")), Version.HJ212_2017, "Flag missing", BadField),
    ("header out of order (§8.7)", frame(S2017_A1.replace("QN=20160801085857223;ST=32;", "ST=32;QN=20160801085857223;")),
     None, "header fields out of order", BadField),
    ("',' between header fields (§8.8)", frame(S2017_A1.replace("223;ST", "223,ST")), None,
     "',' used between header fields", BadField),
    ("no ';' before CP (§8.8, Table C.19)", frame(S2017_A1.replace("Flag=5;CP", "Flag=5CP")), None,
     "no ';' before 'CP='", BadField),
    ("fields after CP (xiaoyao9184 #22)", frame(S2017_A1.replace("Flag=5;", "") + "Flag=5"), None,
     "header field(s) after CP: Flag", BadField),
    ("trailing ';' in CP (§8.8)", frame(HEAD + DATA.replace("&&", ";&&").replace("CP=;&&", "CP=&&")), None,
     "empty CP item", BadField),
    ("whitespace in CP (§8.8)", frame(HEAD + DATA.replace("a34004-Rtd=14", "a34004-Rtd =14")), None,
     "whitespace around CP item 'a34004-Rtd' trimmed", BadField),
    ("CP item without '=' (§8.8)", frame(HEAD + DATA.replace(",a34004-Flag=N", ",N")), None,
     "CP item without '=' ignored: 'N'", BadField),
    ("duplicate CP key", frame(HEAD + DATA.replace("a34004-Flag=N", "a34004-Rtd=15")), None,
     "duplicate CP key a34004-Rtd", BadField),
    ("DataTime with ms (§8.9)", frame(HEAD + DATA.replace("20160801085857", "20160801085857123")), None,
     "DataTime has 17 digits", BadField),
    ("empty PW (§8.7)", frame(S2017_A1.replace("PW=100000", "PW=")), None, "PW of 0 characters", BadField),
    ("short MN (§8.7)", frame(S2017_A1.replace(MN, "88888880000001")), None, "MN '88888880000001'", BadField),
    ("3-digit ST (§8.7)", frame(S2017_A1.replace("ST=32", "ST=101")), None, "ST '101'", BadField),
    ("PNUM/PNO without split bit (§8.7)", frame(S2017_A1.replace("Flag=5;", "Flag=5;PNUM=2;PNO=1;")), None,
     "PNUM/PNO presence disagrees", BadField),
    ("unknown header field", frame(S2017_A1.replace("Flag=5;", "Flag=5;VE=1;")), None, "unknown header field VE",
     BadField),
    ("version differs from the device's (§3.2)", GOOD, Version.HJ212_2025,
     "Flag 5 says HJ 212-2017, device is configured for HJ 212-2025", VersionMismatch),
    ("unknown version bits", frame(S2017_A1.replace("Flag=5", "Flag=17")), None, "unknown version bits", BadField),
    ("GB18030 bytes (§8.5)", gbk_frame(), None, "non-UTF-8 bytes decoded as GB18030", BadEncoding),
    ("CRC over UTF-16 units (§8.5)", frame(S2017_C40, crc=f"{crc16_utf16(S2017_C40):04X}"), None,
     "CRC computed over UTF-16 code units", CrcMismatch),
    ("unknown RF value (2025)", frame(S2017_A1.replace("Flag=5", "Flag=9;RF=0")), None, "RF='0' read as not a resend",
     BadField),
    ("data segment over 1024", frame(HEAD + "CP=&&" + ";".join(f"a{n:05d}-Rtd=1" for n in range(80)) + "&&"), None,
     "exceeds 1024", BadField),
]


@pytest.mark.parametrize(("raw", "version", "warning", "error"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_deviation_is_warned_in_lenient_and_rejected_in_strict(raw: bytes, version: Version | None, warning: str,
                                                                error: type[Hj212Error]) -> None:
    packet = decode(raw, lenient=True, version=version)
    assert any(warning in w for w in packet.warnings), packet.warnings
    with pytest.raises(error):
        decode(raw, version=version)


def test_crc_not_zero_padded_is_warned_in_lenient_and_rejected_in_strict() -> None:
    """Reference §8.3 (3 hex digits): needs a segment whose CRC is below 0x1000, so search for one."""
    segment = next(s for n in range(2000) if crc16((s := f"{HEAD}CP=&&a34004-Rtd={n}&&").encode()) < 0x1000)
    raw = frame(segment, crc=crc16_hex(segment.encode())[1:])
    assert "not zero-padded" in decode(raw, lenient=True).warnings[0]
    with pytest.raises(BadCrcField):
        decode(raw)


def test_lenient_recovers_the_same_packet_as_strict_on_the_good_frame() -> None:
    assert decode(GOOD.replace(b"1C80", b"1c80"), lenient=True) == decode(GOOD)


@pytest.mark.parametrize("lenient", [False, True])
def test_crc_mismatch_says_expected_and_got(lenient: bool) -> None:
    with pytest.raises(CrcMismatch, match="CRC mismatch: expected 0D80, got 1C80"):
        decode(GOOD.replace(b"1062", b"1063"), lenient=lenient)


def test_modbus_crc_is_not_accepted_even_in_lenient_mode() -> None:
    with pytest.raises(CrcMismatch):
        decode(frame(S2017_A1, crc="A6EC"), lenient=True)
