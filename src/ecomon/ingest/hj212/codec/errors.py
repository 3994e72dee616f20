"""Typed decode/encode errors: every failure of the codec is one of these, so a gateway can count and answer
them (e.g. QnRtn=9 for a CRC error) without catching anything broader than `Hj212Error`."""

from __future__ import annotations


class Hj212Error(ValueError):
    """Base of every codec error."""


class BadHeader(Hj212Error):
    """The frame does not start with `##` + 4 decimal length digits."""


class LengthMismatch(Hj212Error):
    """The length field disagrees with the data segment actually present."""

    def __init__(self, declared: int, actual: int | None, detail: str = "") -> None:
        self.declared, self.actual = declared, actual
        got = "unknown" if actual is None else str(actual)
        super().__init__(f"length mismatch: length field says {declared:04d}, data segment is {got} bytes{detail}")


class BadTerminator(Hj212Error):
    """The frame does not end with CRC + `<CR><LF>` where the length field says it should."""


class BadCrcField(Hj212Error):
    """The 4 CRC characters are not hexadecimal (or not upper-case, zero-padded in strict mode)."""


class CrcMismatch(Hj212Error):
    """The CRC field differs from the CRC of the data segment (HJ 212-2017 App. A)."""

    def __init__(self, expected: int, got: int, detail: str = "") -> None:
        self.expected, self.got = expected, got
        super().__init__(f"CRC mismatch: expected {expected:04X}, got {got:04X}{detail}")


class BadEncoding(Hj212Error):
    """The data segment is not UTF-8 (strict) or not decodable at all."""


class BadField(Hj212Error):
    """A header field or CP item is missing, malformed, duplicated or out of place."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"bad field {field}: {reason}")


class VersionMismatch(Hj212Error):
    """The Flag version bits disagree with the version configured for the device."""


class DecryptError(Hj212Error):
    """An SM4-encrypted CP could not be decrypted into a packet whose CRC verifies."""


class SplitError(Hj212Error):
    """Sub-packets (PNUM/PNO) cannot be split or reassembled as given."""
