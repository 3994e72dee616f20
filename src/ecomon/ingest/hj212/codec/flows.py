"""What the platform sends back for a packet it received (HJ 212-2017 §6.5 and App. C, e.g. Table C.14;
HJ 212-2025 App. C C.18 and C.54-C.58). Pure: the caller supplies the clock where a new QN or time is needed.

- upload (2011, 2021, 2031, 2041, 2051, 2061, 2081, 3019/3020 uploads, 2025's 2013/2052/2062/2111) with the reply
  bit set → 9014 echoing the QN, ST=91, same PW/MN, reply-free Flag of the version, empty CP;
- notice from the field (1013 time-calibration request, 2025's 1001 hardware IDs, 1014 key request, 9015
  heartbeat) → 9013 likewise; after 1013 the platform then sets the time with 1012 (`set_time`);
- replies (9011-9014) and platform-direction commands → nothing.
HJ/T 212-2005 replies carry no QN in the header and echo the request's QN inside CP (reference §7).
"""

from __future__ import annotations

from datetime import datetime

from ecomon.ingest.hj212.codec.commands import BY_CN, Kind
from ecomon.ingest.hj212.codec.packet import Packet, build
from ecomon.ingest.hj212.codec.versions import Version

SYSTEM_ST = "91"  # HJ 212-2017 Table 5: 系统交互
QN_FORMAT = "%Y%m%d%H%M%S%f"
TIME_FORMAT = "%Y%m%d%H%M%S"

# 2017 §6.5.1: field uploads that answer a request carry the request's CN; these are uploads too.
_ANSWERED_UPLOADS = frozenset({"1011", "1061", "1063", "3015", "3017", "3018", "3019", "3020"})


def new_qn(now: datetime) -> str:
    return now.strftime(QN_FORMAT)[:17]


def _answer(received: Packet, cn: str) -> Packet:
    version = received.version
    cp = {}
    qn = received.qn
    if version is Version.HJT212_2005:
        cp = {"QN": qn} if qn else {}
        qn = None
    return build(cn, cp, version=version, st=SYSTEM_ST, pw=received.pw or "", mn=received.mn or "", qn=qn)


def replies(received: Packet, now: datetime | None = None) -> list[Packet]:
    """Packets the platform sends in answer to `received`, in order. `now` is needed only to follow a 1013
    time-calibration request with 1012 (set time); without it only the 9013 is returned."""
    command = BY_CN.get(received.cn or "")
    kind = command.kind if command else None
    if kind is Kind.UPLOAD or (received.cn in _ANSWERED_UPLOADS and kind is Kind.REQUEST):
        return [_answer(received, "9014")] if received.reply_needed else []
    if kind is Kind.NOTICE_FROM_FIELD:
        answers = [_answer(received, "9013")]
        if received.cn == "1013" and now is not None:
            answers.append(set_time(received, now))
        return answers
    return []


def set_time(device: Packet, now: datetime) -> Packet:
    """1012 set-time request to the device that sent `device` (2017 §6.7: the platform's first step), reply
    requested."""
    cp = {"SystemTime": now.strftime(TIME_FORMAT)}
    if "PolId" in device.cp:
        cp = {"PolId": device.cp["PolId"], **cp}
    return build("1012", cp, version=device.version, st=device.st or SYSTEM_ST, pw=device.pw or "",
                 mn=device.mn or "", qn=new_qn(now), reply=True)
