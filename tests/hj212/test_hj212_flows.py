"""What the platform sends for what it receives (HJ 212-2017 §6.5 and Tables C.14, C.47-C.50; HJ 212-2025 C.18,
C.54)."""

from datetime import datetime

import pytest
from hj212_vectors import MN, frame

from ecomon.ingest.hj212.codec import Version, build, decode, encode
from ecomon.ingest.hj212.codec.flows import replies

QN = "20160801085857223"


def received(cn: str, cp: dict[str, str], *, reply: bool = True, version: Version = Version.HJ212_2017,
             mn: str = MN) -> object:
    return decode(encode(build(cn, cp, version=version, st="32", pw="123456", mn=mn, qn=QN, reply=reply)))


def test_table_c14_real_time_upload_with_ack_gets_9014_echoing_qn() -> None:
    (ack,) = replies(received("2011", {"DataTime": "20160801085857", "w01018-Rtd": "2.2", "w01018-Flag": "N"}))
    assert encode(ack) == frame(f"QN={QN};ST=91;CN=9014;PW=123456;MN={MN};Flag=4;CP=&&&&")


@pytest.mark.parametrize("cn", ["2011", "2021", "2031", "2041", "2051", "2061", "2081", "3020"])
def test_uploads_without_ack_bit_get_no_reply(cn: str) -> None:
    assert replies(received(cn, {"DataTime": "20160801085857"}, reply=False)) == []


def test_2025_upload_ack_uses_flag_8() -> None:
    (ack,) = replies(received("2051", {"DataTime": "20240601080100"}, version=Version.HJ212_2025))
    assert (ack.cn, ack.st, ack.flag, ack.qn) == ("9014", "91", 8, QN)


def test_time_calibration_request_gets_9013_then_1012_set_time() -> None:
    notice, set_time = replies(received("1013", {}), now=datetime(2016, 8, 1, 9, 0, 0))
    assert (notice.cn, notice.qn, notice.cp) == ("9013", QN, {})
    assert (set_time.cn, set_time.cp, set_time.reply_needed) == ("1012", {"SystemTime": "20160801090000"}, True)
    assert set_time.qn != QN


@pytest.mark.parametrize(("cn", "cp"), [("9015", {}), ("1014", {"SKCreateTime": "20240601085857223"})])
def test_2025_heartbeat_and_key_request_get_9013(cn: str, cp: dict[str, str]) -> None:
    (answer,) = replies(received(cn, cp, version=Version.HJ212_2025))
    assert (answer.cn, answer.flag) == ("9013", 8)


def test_2025_hardware_ids_get_9013_with_empty_mn() -> None:
    (answer,) = replies(received("1001", {"i23005-Info": "6970000000001ABCDEFG1234"}, version=Version.HJ212_2025,
                                 mn=""))
    assert answer.mn == "" and decode(encode(answer)) == answer


@pytest.mark.parametrize("cn", ["9011", "9012", "9013", "9014", "1062", "8013"])
def test_replies_requests_and_unknown_codes_get_nothing(cn: str) -> None:
    assert replies(received(cn, {})) == []


def test_2005_ack_echoes_qn_in_cp_and_has_no_header_qn() -> None:
    upload = decode(encode(build("2011", {"DataTime": "20160801085857"}, version=Version.HJT212_2005, st="32",
                                 pw="123456", mn="LD130133000015", qn=QN, reply=True)))
    (ack,) = replies(upload)
    assert ack.qn is None and ack.cp == {"QN": QN} and ack.flag == 0
