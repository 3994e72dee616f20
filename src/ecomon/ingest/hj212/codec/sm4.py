"""SM4 protection of CP (HJ 212-2025 §6.4.2 and Appendix A.2).

SM4, 16-byte key, ECB, "Nopadding": the characters between `CP=&&` and the closing `&&` are encrypted in
16-byte groups and a remainder shorter than 16 stays plaintext. The CRC is computed over the *plaintext* data
segment before encryption. Two wire forms of the ciphertext exist in implementations and are both read:
RAW (the bytes themselves; App. A.2's printed length fields 0295/0234 count them) and TEXT (`{0xE4,0x3E,…}` as
printed in App. A.2 and written by some implementations). Keys are parameters, never logged or kept.
"""

from __future__ import annotations

import base64
from enum import Enum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

from ecomon.ingest.hj212.codec.errors import DecryptError

BLOCK = 16
TEXT_OPEN = b"{0x"


class CipherForm(Enum):
    RAW = "raw"
    TEXT = "text"


def _cipher(key: bytes) -> Cipher:
    if not isinstance(key, (bytes, bytearray)) or len(key) != BLOCK:
        raise DecryptError("SM4 key must be 16 bytes")
    return Cipher(algorithms.SM4(bytes(key)), modes.ECB())


def _whole(data: bytes) -> int:
    return len(data) - len(data) % BLOCK


def encrypt_region(plain: bytes, key: bytes, form: CipherForm = CipherForm.RAW) -> bytes:
    """Encrypt the CP region (A.2): whole blocks become ciphertext, the tail stays as it is."""
    cut = _whole(plain)
    cipher = _cipher(key).encryptor().update(plain[:cut])
    if form is CipherForm.TEXT:
        cipher = b"{" + b",".join(b"0x%02X" % b for b in cipher) + b"}" if cipher else b""
    return cipher + plain[cut:]


def decrypt_region(region: bytes, key: bytes) -> tuple[bytes, CipherForm]:
    """Inverse of `encrypt_region` for either wire form; returns the plaintext region and the form found."""
    if region.startswith(TEXT_OPEN):
        close = region.find(b"}")
        if close < 0:
            raise DecryptError("encrypted CP opened with '{0x' is never closed with '}'")
        try:
            cipher = bytes(int(tok, 16) for tok in region[1:close].split(b","))
        except ValueError as exc:
            raise DecryptError("encrypted CP in {0x..} form holds a token that is not a hex byte") from exc
        if len(cipher) % BLOCK:
            raise DecryptError(f"encrypted CP holds {len(cipher)} bytes, not a multiple of 16")
        return _cipher(key).decryptor().update(cipher) + region[close + 1:], CipherForm.TEXT
    cut = _whole(region)
    return _cipher(key).decryptor().update(region[:cut]) + region[cut:], CipherForm.RAW


def app_h_authorization(user: str, password: str, key: bytes) -> str:
    """HTTP `Authorization` value of App. H.1.2 (multimedia transfer): SM4-ECB with PKCS#7 over `user:password`,
    then Base64. Note the padding differs from App. A (which leaves the tail plain)."""
    padder = PKCS7(128).padder()
    plain = padder.update(f"{user}:{password}".encode()) + padder.finalize()
    return base64.b64encode(_cipher(key).encryptor().update(plain)).decode("ascii")
