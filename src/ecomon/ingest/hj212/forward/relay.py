"""What goes upstream for a received data packet (pure).

The upper platform sees the device under the MN/PW it registered (HJ 212-2017 Table 3: MN identifies the
monitoring point to the platform that receives the data), in the version configured for the target, always strictly
encoded (`codec.encode`). QN, ST, CP and the PNUM/PNO of a sub-packet are kept as the device sent them, so the upper
platform can trace the packet back to the original; the Flag asks for a 9014 when the target acknowledges.
"""

from __future__ import annotations

from datetime import datetime

from ecomon.ingest.hj212.codec import Packet, Version, build
from ecomon.ingest.hj212.codec.flows import new_qn


def data_key(packet: Packet) -> str:
    """Identity of a datum packet across re-sends by the device: MN, CN, DataTime and sub-packet number, so a
    device's re-sent packet (its ACK was lost) is forwarded once."""
    return "|".join((packet.mn or "", packet.cn or "", packet.cp.get("DataTime", ""), str(packet.pno or "")))


def upward_packet(packet: Packet, *, mn: str, pw: str, version: Version, reply: bool, resend: bool,
                  now: datetime) -> Packet:
    """The packet for the upper platform. `resend` marks a retransmission with RF=1 (HJ 212-2025 Table 3; the
    2017 header has no such field). A packet without QN (HJ/T 212-2005) gets one from `now`."""
    return build(packet.cn or "", packet.cp, version=version, st=packet.st or "", pw=pw, mn=mn,
                 qn=packet.qn or new_qn(now), reply=reply, pnum=packet.pnum, pno=packet.pno,
                 resend=resend and version is Version.HJ212_2025)


def is_ack(answer: Packet, sent: Packet) -> bool:
    """HJ 212-2017 §6.5 / Table C.14: the data reply 9014 echoes the QN of the upload."""
    return answer.cn == "9014" and answer.qn == sent.qn
