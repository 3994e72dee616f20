"""The C accelerator (`codec/_speedups.c`) gives exactly the results of the pure-Python reference codec: same packet
(header and CP in the same order, version, warnings) or the same error (type and message), and the same frames,
CRCs and typed data views, on valid, malformed and adversarial input; and it never crashes or reads out of bounds
on any bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

import pytest
from hj212_vectors import MN, S2005_UPLOAD, S2017_A1, S2017_C25, S2017_C40, S2025_A1, frame
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_hj212_properties import packets

from ecomon.ingest.hj212.codec import Packet, Version, accel, crc, data_view, decode, encode, packet
from ecomon.ingest.hj212.codec import cp as cp_module
from ecomon.ingest.hj212.codec.versions import LIMITS

speedups = accel.speedups
needs_c = pytest.mark.skipif(speedups is None, reason="C accelerator not built (no compiler at install)")
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEAD_2017 = f"QN=20240520210700000;ST=22;CN=2051;PW=123456;MN={MN};Flag=5;"
HEAD_2025 = f"QN=20240520210700000;ST=22;CN=2051;PW=123456;MN={MN};Flag=11;PNUM=3;PNO=2;RF=1;"
MINUTE = ("DataTime=20240520210600;a34004-Min=10.1,a34004-Avg=12.35,a34004-Max=15.2,a34004-Flag=N;"
          "a21026-Min=3,a21026-Avg=4,a21026-Max=5,a21026-Flag=N")
SEGMENTS = [S2017_A1, S2017_C25, S2017_C40, S2005_UPLOAD, S2025_A1, f"{HEAD_2017}CP=&&{MINUTE}&&",
            f"{HEAD_2025}CP=&&{MINUTE}&&", f"{HEAD_2017}CP=&&&&", f"{HEAD_2017}CP=&&a=&&"]
VALID = [frame(s) for s in SEGMENTS]


@contextmanager
def pure_python() -> Iterator[None]:
    """The codec as installed without a compiler: reference CRC, no C fast path."""
    with (patch.object(packet, "_speedups", None), patch.object(packet, "crc16", crc.crc16_python),
          patch.object(cp_module, "_speedups", None)):
        yield


def outcome(call, *args, **kwargs) -> tuple:
    """A comparable result: the packet with its order and warnings, the bytes, or the error's type and message."""
    try:
        result = call(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the error itself is what is compared
        return ("error", type(exc).__name__, str(exc))
    if isinstance(result, Packet):
        return ("packet", list(result.header.items()), list(result.cp.items()), result.version, result.warnings)
    return ("value", result)


def assert_same_decode(raw: bytes) -> None:
    for version in (None, *Version):
        for lenient in (False, True):
            fast = outcome(decode, raw, lenient=lenient, version=version)
            with pure_python():
                reference = outcome(decode, raw, lenient=lenient, version=version)
            assert fast == reference, (raw, version, lenient)
            assert fast[0] == "packet" or fast[1] in _CODEC_ERRORS, fast


_CODEC_ERRORS = {"BadCrcField", "BadEncoding", "BadField", "BadHeader", "BadTerminator", "CrcMismatch", "DecryptError",
                 "LengthMismatch", "VersionMismatch"}


def assert_same_encode(candidate: Packet) -> None:
    fast = outcome(encode, candidate)
    with pure_python():
        reference = outcome(encode, candidate)
    assert fast == reference, candidate


# --- the build ----------------------------------------------------------------------------------------------------

def test_the_extension_is_built_where_a_compiler_exists() -> None:
    """`pip install -e .` compiles it (setup.py, optional=True); only a machine without a C compiler may lack it."""
    if shutil.which("cc") or shutil.which("gcc"):
        assert speedups is not None, "C accelerator missing although a compiler exists: reinstall (pip install -e .)"
        assert accel.ACTIVE_PATH == "C (_speedups)"
        assert crc.crc16 is speedups.crc16


def test_the_reference_path_can_be_forced() -> None:
    code = ("from ecomon.ingest.hj212.codec import accel, crc; "
            "print(accel.ACTIVE_PATH, crc.crc16 is crc.crc16_python)")
    env = {**os.environ, "ECOMON_HJ212_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "pure Python True"


@needs_c
def test_c_size_limits_are_those_of_tables_2_and_3() -> None:
    for version in (Version.HJ212_2017, Version.HJ212_2025):
        assert (speedups.MAX_SEGMENT, speedups.MAX_CP) == (LIMITS[version].max_segment, LIMITS[version].max_cp)


# --- CRC ----------------------------------------------------------------------------------------------------------

@needs_c
@FUZZ
@given(st.binary(max_size=3000))
@example(b"")
@example(b"\x00" * 4096)
def test_c_crc_equals_the_reference(data: bytes) -> None:
    assert speedups.crc16(data) == crc.crc16_python(data)
    assert speedups.crc16(bytearray(data)) == speedups.crc16(memoryview(data)) == crc.crc16_python(data)


@needs_c
def test_c_crc_of_every_length_and_a_large_buffer() -> None:
    data = bytes(range(256)) * 400
    for n in range(70):
        assert speedups.crc16(data[:n]) == crc.crc16_python(data[:n])
        assert speedups.crc16(data[n:n + 40]) == crc.crc16_python(data[n:n + 40])  # unaligned starts
    assert speedups.crc16(data) == crc.crc16_python(data)
    with pytest.raises(TypeError):
        speedups.crc16("text")


# --- decode -------------------------------------------------------------------------------------------------------

@needs_c
@pytest.mark.parametrize("raw", VALID)
def test_standard_frames_decode_alike(raw: bytes) -> None:
    assert_same_decode(raw)


@needs_c
@pytest.mark.parametrize("raw", VALID[:3] + VALID[5:7])
def test_every_truncation_and_every_single_byte_change_decodes_alike(raw: bytes) -> None:
    for n in range(len(raw) + 1):
        assert_same_decode(raw[:n])
        assert_same_decode(raw[n:])
    for i in range(len(raw)):
        for byte in (0x00, 0x20, 0x26, 0x2C, 0x2F, 0x3B, 0x3D, 0x61, 0x80, 0xFF):
            assert_same_decode(raw[:i] + bytes([byte]) + raw[i + 1:])


@needs_c
@pytest.mark.parametrize("raw", [
    frame(S2017_A1, crc="1c80"),  # lower-case CRC
    frame(f"{HEAD_2017}CP=&&{MINUTE}&&", crc="abcd"),
    frame(f"{HEAD_2017}CP=&&{MINUTE}&&", length=9999),  # huge length
    frame(f"{HEAD_2017}CP=&&{MINUTE}&&", length=0),
    frame(f"{HEAD_2017}CP=&&DataTime=20240520210600;a34004-Avg=1\x00&&"),  # embedded NUL
    frame(f"{HEAD_2017}CP=&&DataTime=20240520210600;a34004-Info=//清洗 管路//&&"),  # free text, non-ASCII
    frame(f"{HEAD_2017}CP=&&DataTime=20240520210600;a34004-Info=//x//&&"),  # free text, ASCII: general CP parser
    frame(f"{HEAD_2017}CP=&&DataTime=20240520210600;a34004-Avg=1;a34004-Avg=2&&"),  # duplicate key
    frame(f"{HEAD_2017}CP=&&DataTime=202405202106;a34004-Avg=1&&"),  # 12-digit time
    frame(f"{HEAD_2017}CP=&&DataTime=2024052021060x&&"),
    frame(f"{HEAD_2017}CP=&&SystemTime=20240520210600000&&"),
    frame(f"{HEAD_2017}CP=&&a=1;&&"),  # stray ';'
    frame(f"{HEAD_2017}CP=&&=1&&"),  # empty key
    frame(f"{HEAD_2017}CP=&&a=1=2&&"),
    frame(f"{HEAD_2017}CP=&&a&&"),
    frame(f"{HEAD_2017}CP=&& a=1&&"),
    frame(f"{HEAD_2017}CP=&&a=1&&&&"),  # '&&' inside the region
    frame(f"{HEAD_2017}CP=&&" + ";".join(f"a{i:05d}-Avg=1" for i in range(80)) + "&&"),  # CP over 950
    frame(f"{HEAD_2017}CP=&&" + "x" * 2000 + "=1&&"),
    frame(HEAD_2017.replace("Flag=5", "Flag=7") + "CP=&&a=1&&"),  # split bit without PNUM
    frame(HEAD_2017.replace("Flag=5", "Flag=7") + "PNUM=2;PNO=3;CP=&&a=1&&"),  # PNO > PNUM
    frame(HEAD_2017.replace("Flag=5", "Flag=7") + "PNUM=0;PNO=0;CP=&&a=1&&"),
    frame(HEAD_2017.replace("Flag=5", "Flag=7") + "PNUM=12345;PNO=1;CP=&&a=1&&"),
    frame(HEAD_2017 + "RF=1;CP=&&a=1&&"),  # RF in 2017
    frame(HEAD_2017.replace("Flag=5", "Flag=9") + "RF=2;CP=&&a=1&&"),
    frame(HEAD_2017.replace("Flag=5", "Flag=0005") + "CP=&&a=1&&"),
    frame(HEAD_2017.replace("Flag=5", "Flag=005") + "CP=&&a=1&&"),
    frame(HEAD_2017.replace("Flag=5", "Flag=1") + "CP=&&a=1&&"),  # 2005 version bits
    frame(HEAD_2017.replace("Flag=5", "Flag=255") + "CP=&&a=1&&"),
    frame(HEAD_2017.replace("ST=22", "ST=2a") + "CP=&&a=1&&"),
    frame(HEAD_2017.replace(MN, MN.lower()) + "CP=&&a=1&&"),
    frame(HEAD_2017.replace("PW=123456", "PW=12345") + "CP=&&a=1&&"),
    frame(HEAD_2017.replace("QN=20240520210700000", "QN=2024052021070000") + "CP=&&a=1&&"),
    frame(HEAD_2017 + "CP=&&a=1&&MN=1&&"),
    frame(f"{HEAD_2017}CP=&&a=1&&".encode("utf-16-le")),
    frame(f"{HEAD_2017}CP=&&i11001-Info=//清洗管路//&&".encode("gbk")),
    b"##0000\r\n",
    b"##",
    b"",
    b"&&0000\r\n" * 3,
])
def test_adversarial_frames_decode_alike(raw: bytes) -> None:
    assert_same_decode(raw)


_REGION_ALPHABET = st.sampled_from(list("aA0-=;,/ &.\x00\r\n") + ["清", "\x80", "é"])


@st.composite
def canonical_frames(draw: st.DrawFn) -> bytes:
    """A verifying frame with a canonical-looking header and an arbitrary CP region, so the C CP parser is reached."""
    head = draw(st.sampled_from([HEAD_2017, HEAD_2025, HEAD_2017.replace("Flag=5", "Flag=4"),
                                 HEAD_2025.replace("PNUM=3;PNO=2;", "").replace("Flag=11", "Flag=9")]))
    region = draw(st.one_of(
        st.text(_REGION_ALPHABET, max_size=60),
        st.lists(st.tuples(st.text(_REGION_ALPHABET, max_size=8), st.text(_REGION_ALPHABET, max_size=8)),
                 max_size=12).map(lambda items: ";".join(f"{k}={v}" for k, v in items)),
        st.sampled_from([MINUTE, "DataTime=20240520210600", "SystemTime=20240520210600;a=1", "QnRtn=1"])))
    segment = f"{head}CP=&&{region}&&".encode("utf-8", "surrogatepass")
    return frame(segment, crc=draw(st.sampled_from([None, None, None, "0000"])))


@needs_c
@FUZZ
@given(canonical_frames())
def test_generated_canonical_frames_decode_alike(raw: bytes) -> None:
    assert_same_decode(raw)


@needs_c
@FUZZ
@given(packets(), st.data())
def test_generated_packets_encode_and_mutations_decode_alike(candidate: Packet, data: st.DataObject) -> None:
    assert_same_encode(candidate)
    try:
        raw = encode(candidate)
    except Exception:  # noqa: BLE001 - too long etc.: already compared above
        return
    assert_same_decode(raw)
    i = data.draw(st.integers(0, len(raw)))
    assert_same_decode(raw[:i] + data.draw(st.binary(max_size=3)) + raw[i + data.draw(st.integers(0, 3)):])


@needs_c
@FUZZ
@given(st.binary(max_size=1200))
def test_random_bytes_decode_alike(raw: bytes) -> None:
    assert_same_decode(raw)
    assert_same_decode(b"##%04d" % max(len(raw) - 6, 0) + raw)


@needs_c
@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=1100), st.sampled_from([None, *Version, "other"]))
def test_the_c_decoder_answers_any_bytes(raw: bytes, version: Version | None) -> None:
    """Memory safety: every input yields a Packet, None or False, never a crash or an exception."""
    for data in (raw, b"##%04d" % max(len(raw) - 6, 0) + raw, raw[:len(raw) - 8] + b"&&0000\r\n"):
        found = speedups.decode_canonical(data, version, Packet, tuple(Version))
        assert found is None or found is False or isinstance(found, Packet)


@needs_c
def test_the_c_functions_refuse_wrong_arguments() -> None:
    versions = tuple(Version)
    with pytest.raises(TypeError):
        speedups.decode_canonical("##0000", None, Packet, versions)
    with pytest.raises(TypeError):
        speedups.decode_canonical(b"", None, Packet, list(versions))
    with pytest.raises(TypeError):
        speedups.encode_canonical({}, {}, Version.HJ212_2017)
    assert speedups.encode_canonical([], {}, Version.HJ212_2017, versions) is None
    assert speedups.encode_canonical({}, {}, "2017", versions) is None
    assert speedups.decode_canonical(VALID[0], "2017", Packet, versions) is None


@needs_c
def test_c_packets_are_real_packets() -> None:
    decoded = decode(VALID[0])
    assert type(decoded) is Packet and decoded.warnings == () and decoded.version is Version.HJ212_2017
    with pytest.raises(AttributeError):
        decoded.cp = {}  # type: ignore[misc]  # still frozen


# --- encode -------------------------------------------------------------------------------------------------------

_VALUE_ALPHABET = st.sampled_from(list("aZ09-=;,/ &.\x00") + ["清", "\ud800"])


@st.composite
def odd_packets(draw: st.DrawFn) -> Packet:
    """Headers and CP near the canonical shape: wrong order, missing or extra fields, delimiters, non-str values."""
    header = {"QN": "20240520210700000", "ST": "22", "CN": "2051", "PW": "123456", "MN": MN,
              "Flag": draw(st.sampled_from(["4", "5", "7", "8", "9", "11", "1", "05", "0005"]))}
    if draw(st.booleans()):
        header |= {"PNUM": draw(st.sampled_from(["1", "3", "0", "12345"])), "PNO": draw(st.sampled_from(["1", "2",
                                                                                                         "4"]))}
    if draw(st.booleans()):
        header["RF"] = draw(st.sampled_from(["1", "0"]))
    items = list(header.items())
    mutation = draw(st.integers(0, 6))
    if mutation == 1:
        items.reverse()
    elif mutation == 2:
        items.pop(draw(st.integers(0, len(items) - 1)))
    elif mutation == 3:
        i = draw(st.integers(0, len(items) - 1))
        items[i] = (items[i][0], draw(st.text(_VALUE_ALPHABET, max_size=25)))
    elif mutation == 4:
        items.append(("XX", "1"))
    elif mutation == 5:
        items[0] = (items[0][0], 20240520210700000)  # type: ignore[assignment]
    cp_items = draw(st.lists(st.tuples(st.sampled_from(["DataTime", "a34004-Avg", "a34004-Flag", "a21026-Avg", "-x",
                                                        "PolId", "a-b-c", "a34004", ""])
                                       | st.text(_VALUE_ALPHABET, max_size=6),
                                       st.sampled_from(["20240520210600", "2024052021060", "N", "1.5", ""])
                                       | st.text(_VALUE_ALPHABET, max_size=8)),
                             max_size=10))
    cp: dict = dict(cp_items)
    if draw(st.integers(0, 9)) == 0:
        cp[draw(st.sampled_from(["a", "DataTime"]))] = draw(st.sampled_from([1, None, b"x"]))
    version = draw(st.sampled_from(list(Version)))
    return Packet(dict(items), cp, version)


@needs_c
@FUZZ
@given(odd_packets())
def test_odd_packets_encode_alike(candidate: Packet) -> None:
    assert_same_encode(candidate)


@needs_c
def test_big_packets_encode_alike() -> None:
    cp = {f"a{i:05d}-{kind}": "12.5" for i in range(40) for kind in ("Min", "Avg", "Max")}
    for n in (1, 10, 20, 27, 28, 29, 30, 60, 120):
        assert_same_encode(Packet({"QN": "20240520210700000", "ST": "22", "CN": "2051", "PW": "123456", "MN": MN,
                                   "Flag": "5"}, dict(list(cp.items())[:n]), Version.HJ212_2017))


# --- data view (the writer's rows) --------------------------------------------------------------------------------

def assert_same_view(cp: dict) -> None:
    fast = outcome(data_view, cp)
    with pure_python():
        reference = outcome(data_view, cp)
    assert fast == reference, cp
    if fast[0] == "value":
        for row_fast, row_reference in zip(fast[1].rows, reference[1].rows, strict=True):
            assert type(row_fast.value) is type(row_reference.value)
            assert str(row_fast.value) == str(row_reference.value)  # also tells -0.0 from 0.0
        assert list(fast[1].params) == list(reference[1].params)
        assert list(fast[1].attributes) == list(reference[1].attributes)


_NUMBER_TEXT = st.one_of(
    st.from_regex(r"\A[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z"),  # Unicode digits too, as the Python regex allows
    st.from_regex(r"\A[+-]?[0-9]{0,400}\.?[0-9]{0,400}\Z"),  # long and degenerate forms ("", "+", ".")
    st.sampled_from(["-0", "+.5", "1.", "1e5", "inf", "nan", " 1", "1_0", "0x1", "１２", "٣.٥", "N", "", "-"]))


@needs_c
@FUZZ
@given(st.dictionaries(st.one_of(st.sampled_from(["DataTime", "a34004", "a34004-Avg", "a34004-Flag", "a34004-SN", "-",
                                                  "-Avg", "a-", "a-b-c", "a34004-Rtd", "a21026-Avg", "a21026-Flag"]),
                                 st.text(st.sampled_from(list("ab-1F") + ["清"]), max_size=6)),
                       st.one_of(_NUMBER_TEXT, st.sampled_from(["N", "20240520210600", "202405202106"])),
                       max_size=12))
def test_data_views_alike(cp: dict) -> None:
    assert_same_view(cp)


@needs_c
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packets())
def test_data_views_of_generated_packets_alike(candidate: Packet) -> None:
    assert_same_view(dict(candidate.cp))


@needs_c
def test_data_view_of_odd_mappings_alike() -> None:
    assert_same_view({"a-Avg": 1})  # type: ignore[dict-item]
    assert_same_view({1: "2"})  # type: ignore[dict-item]
    for mapping in ({}, {"DataTime": "2024"}, {"DataTime": "20240520210600", "a-Avg": "1", "a-Flag": "N"}):
        assert_same_view(mapping)
        fast = outcome(data_view, dict(mapping).items().mapping)  # a read-only view: the Python path serves
        with pure_python():
            assert fast == outcome(data_view, dict(mapping).items().mapping)
