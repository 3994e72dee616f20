"""Decode and encode HJ 212 frames: `##` + 4-digit length + data segment + 4-hex CRC + CR LF
(HJ 212-2017 Tables 2/3; HJ 212-2025 §6.3.2-6.3.3 Tables 2/3 and §6.4; HJ/T 212-2005 framing is the same).

Strict mode accepts only the standard; lenient mode accepts the deviations real devices send (reference §8) and
reports each as a warning string. Encoding is always strict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields

from ecomon.ingest.hj212.codec.accel import speedups as _speedups
from ecomon.ingest.hj212.codec.commands import must_encrypt
from ecomon.ingest.hj212.codec.cp import DataView, data_view, encode_cp, format_cp, parse_cp
from ecomon.ingest.hj212.codec.crc import crc16, crc16_utf16
from ecomon.ingest.hj212.codec.errors import (
    BadCrcField,
    BadEncoding,
    BadField,
    BadHeader,
    BadTerminator,
    CrcMismatch,
    DecryptError,
    Hj212Error,
    LengthMismatch,
    VersionMismatch,
)
from ecomon.ingest.hj212.codec.sm4 import TEXT_OPEN, CipherForm, decrypt_region, encrypt_region
from ecomon.ingest.hj212.codec.versions import (
    FLAG_REPLY,
    FLAG_SPLIT,
    LIMITS,
    Limits,
    Version,
    flag_version_bits,
    make_flag,
)

# Field order of Table 3 (2025 Figure 4 adds RF after PNO).
HEADER_ORDER = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "RF")
_KNOWN = frozenset(HEADER_ORDER)
_HEX = frozenset(b"0123456789ABCDEFabcdef")
_HEX_UPPER_TEXT = frozenset("0123456789ABCDEF")
_ST_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CP_OPEN = b"CP=&&"
_TIME_KEYS = ("DataTime", "SystemTime", "BeginTime", "EndTime", "RestartTime")
_CONTROL = bytes([*range(0x20), 0x7F])
_BY_BITS = tuple(Version)
_MIN_SEGMENT_LIMIT = min(limits.max_segment for limits in LIMITS.values())
_MIN_CP_LIMIT = min(limits.max_cp for limits in LIMITS.values())
# HJ 212-2025 onboarding: the DAQ has no MN before the host assigns one (1001 upload and its 9013 answer).
_EMPTY_MN_OK_2025 = frozenset({"1001", "9013"})


def _digits(text: str) -> bool:
    """ASCII decimal digits only (str.isdigit also accepts '²' and friends, which int() rejects)."""
    return text.isascii() and text.isdigit()


@dataclass(frozen=True, slots=True)
class Packet:
    """One HJ 212 packet: header fields and CP items as the strings sent, and the protocol version."""

    header: Mapping[str, str]
    cp: Mapping[str, str]
    version: Version
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def qn(self) -> str | None:
        return self.header.get("QN")

    @property
    def st(self) -> str | None:
        return self.header.get("ST")

    @property
    def cn(self) -> str | None:
        return self.header.get("CN")

    @property
    def pw(self) -> str | None:
        return self.header.get("PW")

    @property
    def mn(self) -> str | None:
        return self.header.get("MN")

    @property
    def flag(self) -> int | None:
        text = self.header.get("Flag")
        return int(text) if text is not None and _digits(text) else None

    @property
    def reply_needed(self) -> bool:
        return bool((self.flag or 0) & FLAG_REPLY)

    @property
    def pnum(self) -> int | None:
        text = self.header.get("PNUM")
        return int(text) if text is not None and _digits(text) else None

    @property
    def pno(self) -> int | None:
        text = self.header.get("PNO")
        return int(text) if text is not None and _digits(text) else None

    @property
    def resend(self) -> bool:
        """HJ 212-2025 Table 3: `RF=1` marks a re-sent (补传) packet."""
        return self.header.get("RF") == "1"

    def view(self) -> DataView:
        """Typed factor rows of CP (see `cp.data_view`)."""
        return data_view(self.cp)


# The C accelerator creates Packets by setting exactly these slots (as the frozen dataclass __init__ does).
assert tuple(f.name for f in dataclass_fields(Packet)) == ("header", "cp", "version", "warnings")


def build(cn: str, cp: Mapping[str, str], *, version: Version, st: str, pw: str, mn: str, qn: str | None = None,
          reply: bool = False, pnum: int | None = None, pno: int | None = None, resend: bool = False) -> Packet:
    """Assemble a packet with the Flag the version prescribes (no validation here: `encode` validates)."""
    header = {"QN": qn, "ST": st, "CN": cn, "PW": pw, "MN": mn,
              "Flag": str(make_flag(version, reply=reply, split=pnum is not None)),
              "PNUM": None if pnum is None else str(pnum), "PNO": None if pno is None else str(pno),
              "RF": "1" if resend else None}
    return Packet({k: v for k, v in header.items() if v is not None}, dict(cp), version)


# --- decoding ---------------------------------------------------------------------------------------------------

class _Collector:
    """Strict: raise the error. Lenient: record the warning and go on."""

    __slots__ = ("lenient", "warnings")

    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient
        self.warnings: list[str] = []

    def __call__(self, warning: str, error: Exception) -> None:
        if not self.lenient:
            raise error
        self.warnings.append(warning)

    def text(self, data: bytes) -> str:
        """UTF-8 as the standard writes it; GB18030 (a superset of GB2312/GBK) as a reported deviation."""
        if data.isascii():
            return data.decode("ascii")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        self("non-UTF-8 bytes decoded as GB18030",
             BadEncoding("data segment is not UTF-8 (HJ 212-2017 writes Chinese in UTF-8)"))
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise BadEncoding(f"data segment is neither UTF-8 nor GB18030 (byte {exc.start})") from exc


def decode(frame: bytes | str, *, lenient: bool = False, version: Version | None = None,
           key: bytes | None = None) -> Packet:
    """Decode and verify one frame (with its CR LF). Raises only `Hj212Error` subclasses.

    `version`: the version configured for the device (else detected from the Flag version bits).
    `key`: the device's SM4 key when it encrypts CP (HJ 212-2025 §6.4); never logged.
    """
    if isinstance(frame, str):
        frame = frame.encode("utf-8")
    elif not isinstance(frame, bytes):
        frame = bytes(frame)
    if key is None:
        packet = (_decode_canonical(frame, version) if _speedups is None
                  else _speedups.decode_canonical(frame, version, Packet, _BY_BITS))
        if packet is False:  # canonical, but CP needs the general CP parser
            packet = _decode_canonical(frame, version)
        if packet is not None:
            return packet
    dev = _Collector(lenient)
    segment, crc_got, declared = _frame(frame, dev, key is not None)
    cpi = segment.find(_CP_OPEN)
    if cpi < 0:
        _check_crc(segment, crc_got, dev)
        raise BadField("CP", "no 'CP=&&' in the data segment")
    if segment.endswith(b"&&") and len(segment) >= cpi + 7:
        close, trailer = len(segment) - 2, b""
    else:
        close = segment.rfind(b"&&", cpi + 5)
        if close < 0:
            _check_crc(segment, crc_got, dev)
            raise BadField("CP", "CP is not closed with '&&'")
        trailer = segment[close + 2:]
    region = segment[cpi + 5:close]
    if key is None:
        if crc16(segment) != crc_got:
            _check_crc(segment, crc_got, dev)
        plain, encrypted = region, None
    else:
        plain, encrypted = _verify(segment, cpi, close, region, crc_got, key, dev)
    if encrypted is CipherForm.TEXT and declared not in (len(segment), cpi + 5 + len(plain) + 2 + len(trailer)):
        dev(f"length field {declared:04d} counts neither the sent nor the plaintext data segment",
            LengthMismatch(declared, len(segment)))
    header_text = dev.text(segment[:cpi])
    header = None if trailer else _canonical_header(header_text, version)
    if header is None:
        header = _parse_header(header_text, dev.text(trailer), dev)
        resolved = _version(header, version, dev)
        _check_header(header, resolved, dev)
    else:
        resolved = _BY_BITS[int(header["Flag"]) >> 2]
    cp = parse_cp(plain, dev.text, dev)
    if key is not None and encrypted is None and len(plain) >= 16 and must_encrypt(resolved, header.get("CN", ""),
                                                                                   cp):
        dev(f"CP of CN {header.get('CN')} sent in plaintext although the device encrypts (HJ 212-2025 §6.4.4)",
            DecryptError(f"CP of CN {header.get('CN')} must be SM4-encrypted for this device (§6.4.4)"))
    _check_cp(cp, dev)
    if len(segment) > _MIN_SEGMENT_LIMIT or close + 2 - cpi > _MIN_CP_LIMIT:
        _check_sizes(segment, cpi, close, LIMITS[resolved], dev)
    return Packet(header, cp, resolved, tuple(dev.warnings))


def _decode_canonical(frame: bytes, version: Version | None) -> Packet | None:
    """Single pass for the frame every conforming 2017/2025 device sends (ASCII, canonical header, upper-case CRC,
    exact length): one match, one CRC, one CP split. None means "not this shape": the general path then decides,
    with the precise error or lenient warning, so this changes speed and never the verdict.
    `_speedups.decode_canonical` is the same in C."""
    if not frame.isascii() or (match := _CANONICAL_FRAME.fullmatch(frame.decode("ascii"))) is None:
        return None
    length, *fields, _, crc = match.groups()
    if int(length) != len(frame) - 12 or crc16(frame[6:-6]) != int(crc, 16):
        return None
    header = _canonical_fields(fields, version)
    if header is None:
        return None
    cp_start, cp_end = match.span("cp")
    try:
        cp = parse_cp(frame[cp_start:cp_end], _ascii, _strict)
        _check_cp(cp, _strict)
    except Hj212Error:
        return None
    resolved = _BY_BITS[int(header["Flag"]) >> 2]
    if len(frame) - 12 > _MIN_SEGMENT_LIMIT or cp_end - cp_start + 7 > _MIN_CP_LIMIT:
        limits = LIMITS[resolved]
        if len(frame) - 12 > limits.max_segment or cp_end - cp_start + 7 > limits.max_cp:
            return None
    return Packet(header, cp, resolved)


def _ascii(data: bytes) -> str:
    return data.decode("ascii")


def _check_sizes(segment: bytes, cpi: int, close: int, limits: Limits, dev: _Collector) -> None:
    if len(segment) > limits.max_segment:
        dev(f"data segment of {len(segment)} bytes exceeds {limits.max_segment}",
            BadField("data segment", f"{len(segment)} bytes exceed {limits.max_segment} (Table 2); split it"))
    if close + 2 - cpi > limits.max_cp:
        dev(f"CP of {close + 2 - cpi} bytes exceeds {limits.max_cp}",
            BadField("CP", f"{close + 2 - cpi} bytes exceed {limits.max_cp} (Table 3)"))


def _frame(frame: bytes, dev: _Collector, may_be_text_cipher: bool) -> tuple[bytes, int, int]:
    """Split a frame into data segment, CRC value and declared length, checking `##`, length and terminator."""
    if not frame.startswith(b"##"):
        start = frame.find(b"##")
        if start < 0:
            raise BadHeader(f"frame does not start with '##' (starts with {frame[:8]!r})")
        dev(f"{start} byte(s) before '##' skipped", BadHeader(f"frame does not start with '##' ({start} bytes before)"))
        frame = frame[start:]
    digits = frame[2:6]
    if len(digits) != 4 or not digits.isdigit():
        raise BadHeader(f"length field {digits!r} is not 4 decimal digits")
    declared = int(digits)
    end = 6 + declared
    if frame[end + 4:] == b"\r\n" and not (may_be_text_cipher and TEXT_OPEN in frame):
        crc_field = frame[end:end + 4]
        if len(crc_field) == 4 and _HEX.issuperset(crc_field):
            if not crc_field.isupper() and not crc_field.isdigit():
                dev("CRC written in lower-case hex", BadCrcField(f"CRC {crc_field.decode()!r} must be upper-case hex"))
            return frame[6:end], int(crc_field, 16), declared
    # Slow path: find the end from the tail (reference §8.2 fallback) and say precisely what is wrong.
    body = frame.rstrip(b"\r\n")
    terminator = frame[len(body):]
    if terminator != b"\r\n":
        shown = " ".join("CR" if c == 13 else "LF" for c in terminator) or "nothing"
        dev(f"frame ends with {shown} instead of CR LF",
            BadTerminator(f"frame must end with CRC + CR LF, it ends with {shown}"))
    digits_at_end = 0
    while digits_at_end < 4 and len(body) - digits_at_end > 6 and body[len(body) - digits_at_end - 1] in _HEX:
        digits_at_end += 1
    # A CRC field follows '&&' (or a trailing header field in lenient mode); prefer the width the length field implies.
    width = len(body) - end if 0 < len(body) - end <= 4 and _HEX.issuperset(body[end:]) else digits_at_end
    if width == 0:
        raise BadCrcField(f"no hexadecimal CRC field before the terminator (frame ends {body[-8:]!r})")
    segment, crc_field = body[6:len(body) - width], body[len(body) - width:]
    if width < 4:
        dev(f"CRC field {crc_field.decode()!r} not zero-padded to 4 digits",
            BadCrcField(f"CRC field {crc_field.decode()!r} must be 4 hex digits"))
    if not crc_field.isupper() and not crc_field.isdigit():
        dev("CRC written in lower-case hex", BadCrcField(f"CRC {crc_field.decode()!r} must be upper-case hex"))
    if len(segment) != declared and not (may_be_text_cipher and TEXT_OPEN in segment):
        dev(f"length field {declared:04d} but data segment is {len(segment)} bytes",
            LengthMismatch(declared, len(segment)))
    return segment, int(crc_field, 16), declared


def _check_crc(segment: bytes, crc_got: int, dev: _Collector) -> None:
    expected = crc16(segment)
    if expected == crc_got:
        return
    if not segment.isascii():
        try:
            text = segment.decode("utf-8")
        except UnicodeDecodeError:
            text = segment.decode("gb18030", errors="replace")
        if crc16_utf16(text) == crc_got:
            dev("CRC computed over UTF-16 code units (char-based device), not over the bytes",
                CrcMismatch(expected, crc_got, " (the CRC matches UTF-16 code units, not bytes)"))
            return
    raise CrcMismatch(expected, crc_got)


def _verify(segment: bytes, cpi: int, close: int, region: bytes, crc_got: int, key: bytes | None,
            dev: _Collector) -> tuple[bytes, CipherForm | None]:
    """Check the CRC over the decrypted plaintext when CP is encrypted (A.2: CRC before encryption), else as is."""
    looks_encrypted = region.startswith(TEXT_OPEN) or not region.isascii() or _has_control(region)
    if looks_encrypted and len(region) >= 16 and (found := _decrypted(segment, cpi, close, region, crc_got, key)):
        return found
    if crc16(segment) == crc_got:
        return region, None
    if not looks_encrypted and len(region) >= 16 and (found := _decrypted(segment, cpi, close, region, crc_got, key)):
        return found  # ciphertext that happens to be printable ASCII
    if looks_encrypted:
        raise DecryptError(f"CRC {crc_got:04X} matches neither the SM4-decrypted nor the plain CP: wrong key?")
    _check_crc(segment, crc_got, dev)
    return region, None


def _decrypted(segment: bytes, cpi: int, close: int, region: bytes, crc_got: int,
               key: bytes) -> tuple[bytes, CipherForm] | None:
    plain, form = decrypt_region(region, key)
    if _is_text(plain) and crc16(segment[:cpi + 5] + plain + segment[close:]) == crc_got:
        return plain, form
    return None


def _has_control(data: bytes) -> bool:
    return len(data.translate(None, _CONTROL)) != len(data)


def _is_text(data: bytes) -> bool:
    """Decrypted CP must be UTF-8 without control characters; with the CRC this rejects a wrong key."""
    if _has_control(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_CANONICAL_HEADER = (
    r"QN=(?P<QN>\d{17});ST=(?P<ST>[0-9A-Z]{2});CN=(?P<CN>\d{4});PW=(?P<PW>[0-9A-Za-z]{6});"
    r"MN=(?P<MN>[0-9A-F]{24});Flag=(?P<Flag>\d{1,3});(?:PNUM=(?P<PNUM>\d{1,4});PNO=(?P<PNO>\d{1,4});)?"
    r"(?:RF=(?P<RF>1);)?")
_CANONICAL = re.compile(_CANONICAL_HEADER, re.ASCII)
_CANONICAL_FRAME = re.compile(
    rf"##(?P<length>\d{{4}}){_CANONICAL_HEADER}CP=&&(?P<cp>.*)&&(?P<crc>[0-9A-F]{{4}})\r\n", re.ASCII | re.DOTALL)


def _canonical_header(text: str, expected: Version | None) -> dict[str, str] | None:
    """One match for the header every conforming 2017/2025 device sends; anything else takes the general path,
    which gives the precise error or warning."""
    match = _CANONICAL.fullmatch(text)
    return None if match is None else _canonical_fields(match.groups(), expected)


def _canonical_fields(fields: Sequence[str | None], expected: Version | None) -> dict[str, str] | None:
    """Header from the matched (QN, ST, CN, PW, MN, Flag, PNUM, PNO, RF), with the checks of Table 3 a regular
    expression cannot express (Flag version and split bits, PNO <= PNUM, RF only in HJ 212-2025)."""
    qn, st, cn, pw, mn, flag_text, pnum, pno, rf = fields
    flag = int(flag_text)  # type: ignore[arg-type]
    bits = flag >> 2
    if bits not in (1, 2) or (expected is not None and expected.value != bits):
        return None
    header = {"QN": qn, "ST": st, "CN": cn, "PW": pw, "MN": mn, "Flag": flag_text}
    if pnum is not None:
        if not flag & FLAG_SPLIT or not 1 <= int(pno) <= int(pnum):  # type: ignore[arg-type]
            return None
        header["PNUM"], header["PNO"] = pnum, pno
    elif flag & FLAG_SPLIT:
        return None
    if rf is not None:
        if bits != Version.HJ212_2025.value:
            return None
        header["RF"] = rf
    return header  # type: ignore[return-value]


def _parse_header(text: str, trailer: str, dev: _Collector) -> dict[str, str]:
    if text.endswith(";"):
        text = text[:-1]
    else:
        dev("no ';' before 'CP='", BadField("CP", "must follow the header after ';'"))
    if "," in text:
        dev("',' used between header fields", BadField("header", "fields are separated by ';', found ','"))
        text = text.replace(",", ";")
    items = text.split(";") if text else []
    if trailer:
        fields_after = trailer.strip(";").split(";")
        dev(f"header field(s) after CP: {', '.join(f.partition('=')[0] for f in fields_after)}",
            BadField("header", f"{trailer!r} after the closing '&&' of CP"))
        items += fields_after
    header: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise BadField(key or "header", f"header item {item!r} has no '='")
        if key in header:
            raise BadField(key, "appears twice in the header")
        if key not in _KNOWN:
            dev(f"unknown header field {key} kept", BadField(key, "is not a header field of Table 3"))
        header[key] = value
    present = [k for k in header if k in _KNOWN]
    if present != [k for k in HEADER_ORDER if k in header]:
        dev(f"header fields out of order: {';'.join(present)}",
            BadField("header", f"order must be {';'.join(k for k in HEADER_ORDER if k in header)}"))
    return header


def _version(header: Mapping[str, str], expected: Version | None, dev: _Collector) -> Version:
    flag = header.get("Flag")
    detected: Version | None = None
    if flag is None:
        if expected is None or expected is Version.HJT212_2005:
            return Version.HJT212_2005
        dev("Flag missing", BadField("Flag", f"required by {expected.label}"))
        return expected
    if not _digits(flag) or int(flag) > 255:
        dev(f"Flag {flag!r} is not an integer 0-255", BadField("Flag", f"{flag!r} is not an integer 0-255"))
    else:
        bits = flag_version_bits(int(flag))
        detected = Version(bits) if bits <= 2 else None
        if detected is None and expected is None:
            dev(f"Flag {flag} has unknown version bits {bits:06b}; read as HJ 212-2017",
                BadField("Flag", f"version bits {bits:06b} are none of 2005/2017/2025"))
    if expected is None:
        return detected or Version.HJ212_2017
    if detected is not expected:
        said = detected.label if detected else "an unknown version"
        dev(f"Flag {flag} says {said}, device is configured for {expected.label}",
            VersionMismatch(f"Flag {flag} says {said}, but the device is configured for {expected.label}"))
    return expected


def _check_header(header: Mapping[str, str], version: Version, dev: _Collector) -> None:
    limits = LIMITS[version]
    for key in ("ST", "CN", "PW", "MN"):
        if key not in header:
            dev(f"{key} missing", BadField(key, "missing"))
    if "QN" not in header:
        if limits.qn_required:
            dev("QN missing", BadField("QN", f"required by {version.label}"))
    elif not (len(header["QN"]) == 17 and _digits(header["QN"])):
        dev(f"QN {header['QN']!r} is not YYYYMMDDhhmmsszzz", BadField("QN", "must be 17 digits YYYYMMDDhhmmsszzz"))
    st = header.get("ST")
    if st is not None and not (len(st) == 2 and _ST_CHARS.issuperset(st)):
        dev(f"ST {st!r} is not 2 characters 0-9/A-Z", BadField("ST", f"{st!r} is not 2 characters 0-9/A-Z"))
    cn = header.get("CN")
    if cn is not None and not (len(cn) == 4 and _digits(cn)):
        dev(f"CN {cn!r} is not 4 digits", BadField("CN", f"{cn!r} is not 4 digits"))
    pw = header.get("PW")
    if pw is not None and len(pw) != 6:
        dev(f"PW of {len(pw)} characters (standard: 6)", BadField("PW", f"must be 6 characters, has {len(pw)}"))
    mn = header.get("MN")
    if mn is not None:
        if limits.mn_hex24:
            ok = len(mn) == 24 and _HEX_UPPER_TEXT.issuperset(mn)
            ok = ok or (not mn and version is Version.HJ212_2025 and cn in _EMPTY_MN_OK_2025)
            if not ok:
                dev(f"MN {mn!r} is not 24 characters 0-9/A-F", BadField("MN", f"{mn!r} is not 24 characters 0-9/A-F"))
        elif not (0 < len(mn) <= limits.mn_max and mn.isalnum() and mn.isascii()):
            dev(f"MN {mn!r} is not 1-{limits.mn_max} letters/digits",
                BadField("MN", f"{mn!r} is not 1-{limits.mn_max} letters/digits"))
    flag = header.get("Flag")
    split = flag is not None and _digits(flag) and bool(int(flag) & FLAG_SPLIT)
    has_parts = "PNUM" in header or "PNO" in header
    if has_parts != split and (flag is not None and _digits(flag)):
        dev("PNUM/PNO presence disagrees with the Flag split bit",
            BadField("Flag", "the split bit (+2) must be set exactly when PNUM and PNO are present"))
    elif has_parts and flag is None:
        dev("PNUM/PNO without Flag", BadField("Flag", "missing although PNUM/PNO are present"))
    if has_parts:
        pnum, pno = header.get("PNUM", ""), header.get("PNO", "")
        if not (_digits(pnum) and _digits(pno) and len(pnum) <= 4 and len(pno) <= 4
                and 1 <= int(pno) <= int(pnum)):
            raise BadField("PNUM/PNO", f"PNUM={pnum!r} PNO={pno!r}: need 1 <= PNO <= PNUM, up to 4 digits")
    rf = header.get("RF")
    if rf is not None:
        if version is not Version.HJ212_2025:
            dev(f"RF in a {version.label} packet", BadField("RF", f"not a field of {version.label}"))
        elif rf != "1":
            dev(f"RF={rf!r} read as not a resend", BadField("RF", f"only RF=1 is defined, got {rf!r}"))


def _check_cp(cp: Mapping[str, str], dev: _Collector) -> None:
    for key in _TIME_KEYS:
        value = cp.get(key)
        if value is not None and not (len(value) == 14 and _digits(value)):
            if len(value) in (12, 17) and _digits(value):
                dev(f"{key} has {len(value)} digits (standard: 14)", BadField(key, f"{value!r} is not 14 digits"))
            else:
                raise BadField(key, f"{value!r} is not a YYYYMMDDhhmmss time")


# --- encoding ---------------------------------------------------------------------------------------------------

def _strict(warning: str, error: Exception) -> None:
    raise error


def _head(packet: Packet) -> bytes:
    """The data segment up to `CP=&&`, in Table 3 order."""
    head = ";".join(f"{k}={packet.header[k]}" for k in HEADER_ORDER if k in packet.header)
    return f"{head};CP=&&".encode()


def segment_length(packet: Packet) -> int:
    """Bytes of the plaintext data segment `encode` would write (what the length field counts)."""
    return len(_head(packet)) + len(format_cp(packet.cp).encode("utf-8")) + 2


def encode(packet: Packet, *, key: bytes | None = None, cipher_form: CipherForm = CipherForm.RAW) -> bytes:
    """A strictly conforming frame with its length and CRC; CP encrypted when `key` is given and §6.4.4 asks."""
    if key is None and _speedups is not None and (
            frame := _speedups.encode_canonical(packet.header, packet.cp, packet.version, _BY_BITS)) is not None:
        return frame
    header = packet.header
    head = _canonical_head(packet)
    if head is None:
        _check_encodable_header(packet)
        head = _head(packet)
    region = encode_cp(packet.cp)
    _check_cp(packet.cp, _strict)  # type: ignore[arg-type]
    segment = head + region + b"&&"
    limits = LIMITS[packet.version]
    if len(segment) > limits.max_segment or len(region) + 7 > limits.max_cp:
        raise BadField("CP", f"data segment of {len(segment)} bytes exceeds Table 2/3 limits; split the packet")
    crc = crc16(segment)
    if key is not None and must_encrypt(packet.version, header.get("CN", ""), packet.cp):
        segment = head + encrypt_region(region, key, cipher_form) + b"&&"
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc)


def _canonical_head(packet: Packet) -> bytes | None:
    """The head (up to `CP=&&`) when the header is the canonical 2017/2025 shape in Table 3 order, read back to
    the same fields (so no value smuggles a delimiter); None sends the header through the full checks."""
    try:
        text = ";".join(map("=".join, packet.header.items())) + ";"
    except TypeError:  # a non-string value: the full checks name it
        return None
    if _canonical_header(text, packet.version) != packet.header:
        return None
    return f"{text}CP=&&".encode()


def _check_encodable_header(packet: Packet) -> None:
    for k, v in packet.header.items():
        if k not in _KNOWN:
            raise BadField(k, "is not a header field of Table 3")
        if not isinstance(v, str) or any(ch in v for ch in ";,=&\r\n"):
            raise BadField(k, f"value {v!r} must be a string without delimiters")
    version = _version(packet.header, packet.version, _strict)  # type: ignore[arg-type]
    _check_header(packet.header, version, _strict)  # type: ignore[arg-type]
