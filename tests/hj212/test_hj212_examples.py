"""Every example packet of the references decodes as the standards say (HJ 212-2017 App. A/C, HJ 212-2025 App. A,
HJ/T 212-2005 style uploads)."""

import pytest
from hj212_vectors import (
    MN,
    S2005_UPLOAD,
    S2017_9011,
    S2017_A1,
    S2017_C25,
    S2017_C40,
    S2025_9014,
    S2025_A1,
    frame,
)

from ecomon.ingest.hj212.codec import BadField, Version, decode, encode


def test_2017_appendix_a_packet_set_rtd_interval() -> None:
    p = decode(b"##0101" + S2017_A1.encode() + b"1C80\r\n")
    assert p.version is Version.HJ212_2017
    assert dict(p.header) == {"QN": "20160801085857223", "ST": "32", "CN": "1062", "PW": "100000", "MN": MN,
                              "Flag": "5"}
    assert p.cp == {"RtdInterval": "30"}
    assert p.reply_needed and p.pnum is None


def test_2017_appendix_a_packet_reencodes_byte_for_byte() -> None:
    raw = b"##0101" + S2017_A1.encode() + b"1C80\r\n"
    assert encode(decode(raw)) == raw


def test_2017_table_c25_noise_has_a_space_strict_rejects_lenient_trims() -> None:
    with pytest.raises(BadField, match="whitespace"):
        decode(frame(S2017_C25))
    p = decode(frame(S2017_C25), lenient=True)
    assert p.cp == {"DataTime": "20160801085857", "LA-Rtd": "50.1"}
    assert p.warnings == ("whitespace around CP item 'LA-Rtd' trimmed",)


def test_2017_9011_request_acknowledgement() -> None:
    p = decode(frame(S2017_9011))
    assert p.cn == "9011" and p.cp == {"QnRtn": "1"} and not p.reply_needed


def test_2017_table_c40_log_with_chinese_free_text() -> None:
    p = decode(frame(S2017_C40))
    assert p.cp["i11001-Info"] == "//清洗管路//"
    assert frame(S2017_C40).startswith(b"##0152")  # length counts UTF-8 bytes


def test_2005_upload_without_qn_and_flag_is_2005() -> None:
    p = decode(frame(S2005_UPLOAD), lenient=True)
    assert p.version is Version.HJT212_2005
    assert p.qn is None and p.flag is None
    assert p.cp["011-Rtd"] == "231.0" and p.cp["060-Flag"] == "N"
    assert p.warnings == ("DataTime has 17 digits (standard: 14)",)


def test_2005_upload_with_14_digit_time_is_strictly_valid() -> None:
    p = decode(frame(S2005_UPLOAD.replace("20160824003817000", "20160824003817")))
    assert p.version is Version.HJT212_2005 and p.mn == "LD130133000015"


def test_2025_appendix_a1_get_time_with_flag_9() -> None:
    p = decode(b"##0087" + S2025_A1.encode() + b"2200\r\n")
    assert p.version is Version.HJ212_2025 and p.flag == 9 and p.reply_needed and p.cp == {}


def test_2025_data_acknowledgement_flag_8() -> None:
    p = decode(b"##0087" + S2025_9014.encode() + b"21C0\r\n")
    assert p.version is Version.HJ212_2025 and p.cn == "9014" and not p.reply_needed


def test_2025_resend_flag_rf() -> None:
    segment = S2025_A1.replace("Flag=9;", "Flag=9;RF=1;")
    assert decode(frame(segment)).resend


def test_2025_hardware_ids_before_mn_assignment_have_empty_mn() -> None:
    segment = ("QN=20240601085857223;ST=91;CN=1001;PW=123456;MN=;Flag=9;CP=&&i23005-Info=6970000000001ABCDEFG1234;"
               "i23006-Info=A800200A8C6D;i23007-Info=E86A643C7BBC;i23008-Info=A763742C1AE1&&")
    p = decode(frame(segment))
    assert p.mn == "" and p.cp["i23006-Info"] == "A800200A8C6D"


def test_2025_key_exchange_packet_parses() -> None:
    segment = (f"QN=20240601085857223;ST=32;CN=1014;PW=123456;MN={MN};Flag=9;"
               "CP=&&SKCreateTime=20240601085857223,NewSK=0000000000000000&&")
    assert decode(frame(segment)).cp == {"SKCreateTime": "20240601085857223", "NewSK": "0000000000000000"}


def test_split_packet_flag_7_with_pnum_pno() -> None:
    segment = f"QN=20160801085857223;ST=32;CN=2051;PW=123456;MN={MN};Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20160801084000&&"
    p = decode(frame(segment))
    assert (p.pnum, p.pno, p.reply_needed) == (2, 1, True)
