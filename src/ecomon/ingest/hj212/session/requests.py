"""Platform → device commands (pure): which ones an operator may send, the request packet, and what a device's
reply means for the command (HJ 212-2017 §6.5.2 request flow, §6.5.3 history retrieval, §6.5.4 notices).

Request: platform sends CN with Flag reply bit → device 9011 (same QN, QnRtn) → on QnRtn=1 it executes, may
upload answers with the request's CN (e.g. 1011 SystemTime, 1061 RtdInterval) → 9012 (same QN, ExeRtn).
Notice to field (2012/2022 stop real-time / status data): device answers 9013 only.
HJ/T 212-2005 replies echo the request QN inside CP instead of the header (reference §7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecomon.ingest.hj212.codec import Packet, Version, build
from ecomon.ingest.hj212.codec.commands import BY_CN, Kind

# Uploads the platform may *request*: 2011/2021 start real-time/status uploads (no CP), the others retrieve
# history with BeginTime/EndTime (2017 Table 9; 2025 adds 2013 and 2062 retrieval).
REQUESTABLE_UPLOADS = frozenset({"2011", "2013", "2021", "2031", "2041", "2051", "2061", "2062"})
# Sent only by the session layer itself: key exchange needs the sealed key (1014), MN assignment is not modelled
# (1002), and a new access password (1072) must change the stored hash in step with the device (credentials).
RESERVED = frozenset({"1002", "1014", "1072"})
INSTEAD = {"1014": "use `ecomon hj212 device rotate`", "1072": "use `ecomon hj212 device set-password` or "
           "POST /api/v1/devices/{mn}/password"}
SYSTEM_ST = "91"


class CommandRefused(ValueError):
    """An operator command the platform will not send, with the reason."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a received reply does to the open command it answers."""

    state: str  # accepted, refused, done, failed
    qn_rtn: str | None = None
    exe_rtn: str | None = None
    finished: bool = False


def check_operator_command(cn: str, cp: Mapping[str, str], version: Version) -> None:
    """Raise `CommandRefused` unless the standard defines `cn` as platform → field for the device's version."""
    command = BY_CN.get(cn)
    if command is None:
        raise CommandRefused(f"CN {cn} is not a command code of HJ 212 (2005/2017/2025)")
    if cn in RESERVED:
        instead = f"; {INSTEAD[cn]}" if cn in INSTEAD else ""
        raise CommandRefused(f"CN {cn} ({command.name_en}) is sent by the platform itself, not by operators{instead}")
    if version not in command.versions:
        raise CommandRefused(f"CN {cn} ({command.name_en}) is not defined in {version.label}")
    if command.kind in (Kind.REQUEST, Kind.NOTICE_TO_FIELD):
        return
    if cn in REQUESTABLE_UPLOADS:
        if cn not in ("2011", "2021") and not {"BeginTime", "EndTime"} <= set(cp):
            raise CommandRefused(f"retrieving {command.name_en} (CN {cn}) needs BeginTime and EndTime")
        return
    raise CommandRefused(f"CN {cn} ({command.name_en}) is not sent by the platform ({command.kind.value})")


def request_packet(cn: str, cp: Mapping[str, str], *, version: Version, st: str, pw: str, mn: str,
                   qn: str) -> Packet:
    """The request as sent: QN from the platform clock, reply bit set (the standard's examples use Flag=5)."""
    return build(cn, cp, version=version, st=st, pw=pw, mn=mn, qn=qn, reply=True)


def reply_qn(packet: Packet) -> str | None:
    """The QN a reply refers to (in CP for HJ/T 212-2005)."""
    return packet.qn if packet.version is not Version.HJT212_2005 else (packet.cp.get("QN") or packet.qn)


def resolve(packet: Packet, command_cn: str) -> Resolution | None:
    """The effect of reply `packet` (9011/9012/9013) on an open command of code `command_cn`."""
    if packet.cn == "9011":
        rtn = packet.cp.get("QnRtn", "")
        return Resolution("accepted", qn_rtn=rtn) if rtn == "1" else Resolution("refused", qn_rtn=rtn, finished=True)
    if packet.cn == "9012":
        rtn = packet.cp.get("ExeRtn", "")
        return Resolution("done" if rtn == "1" else "failed", exe_rtn=rtn, finished=True)
    if packet.cn == "9013" and BY_CN[command_cn].kind is Kind.NOTICE_TO_FIELD:
        return Resolution("done", finished=True)
    return None
