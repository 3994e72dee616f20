"""HJ 212-2025 §6.4.2 / App. A.2 SM4-ECB "Nopadding" and App. H.1.2, on the standard's own vectors."""

import pytest
from hj212_vectors import (
    A2_EX2_CIPHER,
    A2_EX2_REGION,
    A2_EX4_CIPHER,
    A2_EX4_REGION,
    A2_HEAD,
    A2_KEY,
    MN,
    frame,
)

from ecomon.ingest.hj212.codec import CipherForm, DecryptError, Version, build, decode, encode
from ecomon.ingest.hj212.codec.sm4 import app_h_authorization, decrypt_region, encrypt_region


@pytest.mark.parametrize(("region", "cipher", "crc", "length"), [
    (A2_EX2_REGION, A2_EX2_CIPHER, "2200", 295),  # example 2: 208 characters = 13 whole blocks
    (A2_EX4_REGION, A2_EX4_CIPHER, "B541", 234),  # example 4: 9 blocks + "g=N" left plain
])
def test_appendix_a2_plaintext_crc_and_ciphertext(region: str, cipher: bytes, crc: str, length: int) -> None:
    plain = (A2_HEAD + region + "&&").encode()
    assert frame(plain).startswith(b"##%04d" % length) and frame(plain).endswith(crc.encode() + b"\r\n")
    encrypted = encrypt_region(region.encode(), A2_KEY)
    assert encrypted[:len(cipher)] == cipher
    assert encrypted[len(cipher):] == region.encode()[len(cipher):]  # remainder < 16 stays plaintext


@pytest.mark.parametrize(("region", "cipher", "crc"), [
    (A2_EX2_REGION, A2_EX2_CIPHER, "2200"), (A2_EX4_REGION, A2_EX4_CIPHER, "B541")])
def test_appendix_a2_raw_wire_form_decodes_with_key(region: str, cipher: bytes, crc: str) -> None:
    tail = region.encode()[len(cipher):]
    segment = A2_HEAD.encode() + cipher + tail + b"&&"
    wire = frame(segment, crc=crc)  # the length field counts the bytes: 0295 / 0234 as printed
    p = decode(wire, key=A2_KEY)
    assert p.version is Version.HJ212_2025 and p.cp["DataTime"] == "20240520210600"
    assert encode(p, key=A2_KEY) == wire


def test_appendix_a2_text_wire_form_with_the_printed_plaintext_length() -> None:
    text_cipher = b"{" + b",".join(b"0x%02X" % b for b in A2_EX4_CIPHER) + b"}"
    wire = b"##0234" + A2_HEAD.encode() + text_cipher + b"g=N&&B541\r\n"  # exactly as App. A.2 prints it
    assert decode(wire, key=A2_KEY).cp["a01014-Flag"] == "N"
    reencoded = encode(decode(wire, key=A2_KEY), key=A2_KEY, cipher_form=CipherForm.TEXT)
    assert decode(reencoded, key=A2_KEY) == decode(wire, key=A2_KEY)


def test_wrong_key_is_a_decrypt_error_not_garbage() -> None:
    wire = frame(A2_HEAD.encode() + A2_EX2_CIPHER + b"&&", crc="2200")
    with pytest.raises(DecryptError, match="wrong key"):
        decode(wire, key=b"1" * 16)


def test_plaintext_data_from_an_encrypting_device_strict_rejects_lenient_warns() -> None:
    wire = frame(A2_HEAD + A2_EX2_REGION + "&&")
    with pytest.raises(DecryptError, match="§6.4.4"):
        decode(wire, key=A2_KEY)
    assert "plaintext" in decode(wire, key=A2_KEY, lenient=True).warnings[0]


def test_replies_and_retrieval_requests_stay_plain() -> None:
    ack = build("9014", {}, version=Version.HJ212_2025, st="91", pw="123456", mn=MN, qn="20240520210700000")
    request = build("2051", {"BeginTime": "20240520000000", "EndTime": "20240520010000"},
                    version=Version.HJ212_2025, st="31", pw="123456", mn=MN, qn="20240520210700000", reply=True)
    for p in (ack, request):
        assert encode(p, key=A2_KEY) == encode(p)
        assert decode(encode(p), key=A2_KEY) == p


def test_decrypt_region_roundtrip_both_forms() -> None:
    for form in CipherForm:
        assert decrypt_region(encrypt_region(A2_EX4_REGION.encode(), A2_KEY, form), A2_KEY) == (
            A2_EX4_REGION.encode(), form)


def test_appendix_h12_authorization_vector() -> None:
    assert app_h_authorization("testuser", "AezF0nZRs4kypuGO", b"msbE74gsiSHSEh5e") == (
        "LG/m7lsFU/taig+vbQsDJXy4NGAaE2j2lplPwhZM7iM=")


def test_key_must_be_16_bytes_and_is_not_echoed() -> None:
    with pytest.raises(DecryptError) as info:
        encrypt_region(b"x" * 32, b"secret-key")
    assert "secret-key" not in str(info.value)
