"""Reading frames off a TCP stream when CP may be SM4 ciphertext (HJ 212-2025 §6.4.2, App. A.2).

Raw ciphertext bytes can contain CR LF, so for a device that encrypts, a frame is complete only when it holds the
length field's count of data-segment bytes plus CRC and CR LF (reference hj212-2025 §5: "frame by the length field").
The header before `CP=&&` stays plaintext, so the MN can be read before the frame is complete.
"""

from __future__ import annotations

import re

_MN = re.compile(rb"(?:^|;)MN=([0-9A-Za-z]{0,27})(?:;|$)")
_CP_OPEN = b"CP=&&"


def peek_mn(frame: bytes) -> str | None:
    """The MN of a (possibly incomplete or encrypted) frame, from its plaintext header; None if absent."""
    start = frame.find(b"##")
    cp = frame.find(_CP_OPEN)
    if start < 0:
        return None
    match = _MN.search(frame[start + 6:cp if cp >= 0 else len(frame)])
    return match.group(1).decode("ascii") if match else None


def missing_bytes(frame: bytes) -> int:
    """How many more bytes the length field says the frame needs (0 if complete or if it cannot tell)."""
    start = frame.find(b"##")
    digits = frame[start + 2:start + 6] if start >= 0 else b""
    if len(digits) != 4 or not digits.isdigit():
        return 0
    total = start + 6 + int(digits) + 4 + 2  # '##' + length, data segment, CRC, CR LF
    return max(0, total - len(frame))
