"""HJ 212-2025 onboarding packets: DAQ hardware IDs (1001), MN assignment (1002) and key exchange (1014), built and
read as far as the sources are certain (App. C tables C2, C3, C7, C8 as mapped by implementations; §6.4.3).

Uncertain and therefore not modelled: which field of 1002 carries the assigned MN (we address the DAQ by its
`i23005-Info` ID and put the new MN in the header MN), key lifetimes beyond "at most 90 days", MEE registration.
Keys are parameters only; they appear in a packet's CP solely as the `NewSK` the standard sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecomon.ingest.hj212.codec.errors import BadField
from ecomon.ingest.hj212.codec.packet import Packet, build
from ecomon.ingest.hj212.codec.versions import Version

V2025 = Version.HJ212_2025
HARDWARE_CODES = ("i23005", "i23006", "i23007", "i23008")  # DAQ ID, CPUID, MAC 1, MAC 2
_KEY_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class HardwareIds:
    daq_id: str
    cpuid: str
    mac1: str
    mac2: str


def hardware_ids(ids: HardwareIds, *, st: str, pw: str, qn: str) -> Packet:
    """1001 field→platform (answered 9013); MN is empty because the platform has not assigned one yet."""
    cp = {f"{code}-Info": value for code, value in zip(HARDWARE_CODES, (ids.daq_id, ids.cpuid, ids.mac1, ids.mac2))}
    return build("1001", cp, version=V2025, st=st, pw=pw, mn="", qn=qn, reply=True)


def read_hardware_ids(packet: Packet) -> HardwareIds:
    values = [_require(packet.cp, f"{code}-Info", "1001") for code in HARDWARE_CODES]
    return HardwareIds(*values)


def set_mn(daq_id: str, new_mn: str, *, st: str, pw: str, qn: str) -> Packet:
    """1002 platform→field: assign `new_mn` to the DAQ whose hardware ID is `daq_id` (answered 9011 + 9012)."""
    return build("1002", {"i23005-Info": daq_id}, version=V2025, st=st, pw=pw, mn=new_mn, qn=qn, reply=True)


def key_request(created: str, *, st: str, pw: str, mn: str, qn: str) -> Packet:
    """1014 field→platform "现场机获取新密钥": `SKCreateTime` (17-digit ms timestamp), answered 9013."""
    return build("1014", {"SKCreateTime": created}, version=V2025, st=st, pw=pw, mn=mn, qn=qn, reply=True)


def set_key(new_key: bytes, created: str, *, st: str, pw: str, mn: str, qn: str) -> Packet:
    """1014 platform→field "上位机设置新密钥": `SKCreateTime` + `NewSK` (16 characters), answered 9011 + 9012.
    Encode it with the device's *current* key: 1014 is in the must-encrypt set of §6.4.4."""
    text = new_key.decode("ascii", errors="replace") if isinstance(new_key, bytes) else ""
    if len(new_key) != 16 or not _KEY_CHARS.issuperset(text):
        raise BadField("NewSK", "a key sent in CP must be 16 letters or digits")
    return build("1014", {"SKCreateTime": created, "NewSK": text}, version=V2025, st=st, pw=pw, mn=mn, qn=qn,
                 reply=True)


def read_key_exchange(packet: Packet) -> tuple[str, bytes | None]:
    """(SKCreateTime, new key or None for a field's key request)."""
    created = _require(packet.cp, "SKCreateTime", "1014")
    new_key = packet.cp.get("NewSK")
    if new_key is not None and (len(new_key) != 16 or not _KEY_CHARS.issuperset(new_key)):
        raise BadField("NewSK", "must be 16 letters or digits")
    return created, None if new_key is None else new_key.encode("ascii")


def _require(cp: Mapping[str, str], key: str, cn: str) -> str:
    if key not in cp:
        raise BadField(key, f"missing from the CP of CN {cn}")
    return cp[key]
