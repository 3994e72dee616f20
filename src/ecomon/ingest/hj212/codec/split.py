"""Sub-packets (HJ 212-2017 Table 3 PNUM/PNO, Flag bit +2; 2025 §8.1.2/§8.2.2: split data segments over 1024).

Each part carries its own QN and repeats DataTime (2017 Tables C.47-C.50 / 2025 C.55-C.58). Parts are merged by
(MN, CN, PNUM, DataTime) in PNO order (reference §8.11). Pure: the gateway keeps pending parts and their clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from ecomon.ingest.hj212.codec.cp import format_cp
from ecomon.ingest.hj212.codec.errors import SplitError
from ecomon.ingest.hj212.codec.packet import HEADER_ORDER, Packet, segment_length
from ecomon.ingest.hj212.codec.versions import FLAG_SPLIT, LIMITS

_REPEATED = ("DataTime",)
_QN_FORMAT = "%Y%m%d%H%M%S%f"


def _next_qn(qn: str | None, offset: int) -> str | None:
    """QN of part n: the packet's QN plus n-1 milliseconds (QN is a ms timestamp), distinct and reproducible."""
    if qn is None or offset == 0:
        return qn
    try:
        base = datetime.strptime(qn + "000", _QN_FORMAT)
    except ValueError as exc:
        raise SplitError(f"QN {qn!r} is not YYYYMMDDhhmmsszzz, cannot derive the parts' QNs") from exc
    return (base + timedelta(milliseconds=offset)).strftime(_QN_FORMAT)[:17]


def _part(packet: Packet, cp: Mapping[str, str], pno: int, pnum: int) -> Packet:
    header = dict(packet.header)
    header["QN"] = _next_qn(packet.qn, pno - 1)
    header["Flag"] = str(int(header.get("Flag", "0")) | FLAG_SPLIT)
    header["PNUM"], header["PNO"] = str(pnum), str(pno)
    ordered = {k: header[k] for k in HEADER_ORDER if header.get(k) is not None}
    return Packet(ordered, dict(cp), packet.version)


def split(packet: Packet, max_segment: int | None = None) -> list[Packet]:
    """Parts whose frames each fit `max_segment` bytes of data segment (default: the version's 1024).
    A packet that fits is returned unchanged as the only element."""
    if "PNUM" in packet.header:
        raise SplitError("packet is already a sub-packet")
    limits = LIMITS[packet.version]
    limit = max_segment or limits.max_segment

    def fits(cp: Mapping[str, str]) -> bool:  # PNUM/PNO counted at their widest (4 digits)
        return (segment_length(_part(packet, cp, 9999, 9999)) <= limit
                and len(format_cp(cp).encode("utf-8")) + 7 <= limits.max_cp)

    if fits(packet.cp) and segment_length(packet) <= limit:
        return [packet]
    repeated = {k: packet.cp[k] for k in _REPEATED if k in packet.cp}
    items = [(k, v) for k, v in packet.cp.items() if k not in repeated]
    groups: list[dict[str, str]] = []
    current = dict(repeated)
    for key, value in items:
        candidate = {**current, key: value}
        if fits(candidate):
            current = candidate
            continue
        if len(current) == len(repeated):
            raise SplitError(f"CP item {key} alone does not fit a {limit}-byte data segment")
        groups.append(current)
        current = {**repeated, key: value}
    groups.append(current)
    return [_part(packet, cp, n, len(groups)) for n, cp in enumerate(groups, start=1)]


def part_key(packet: Packet) -> tuple[str | None, str | None, int | None, str | None]:
    """Which parts belong together: (MN, CN, PNUM, DataTime)."""
    return packet.mn, packet.cn, packet.pnum, packet.cp.get("DataTime")


def reassemble(parts: Sequence[Packet]) -> Packet:
    """Merge a complete set of parts into one packet (QN of part 1, PNUM/PNO removed, Flag split bit cleared)."""
    if not parts:
        raise SplitError("no parts to reassemble")
    keys = {part_key(p) for p in parts}
    if len(keys) != 1:
        raise SplitError(f"parts of different packets (MN, CN, PNUM, DataTime): {sorted(map(str, keys))}")
    pnum = parts[0].pnum
    if pnum is None:
        raise SplitError("part without PNUM/PNO")
    by_pno = {p.pno: p for p in parts}
    if len(by_pno) != len(parts):
        raise SplitError("the same PNO appears twice")
    missing = sorted(set(range(1, pnum + 1)) - set(by_pno))
    if missing or len(by_pno) != pnum:
        raise SplitError(f"incomplete: PNUM={pnum}, missing PNO {missing}")
    cp: dict[str, str] = {}
    for n in range(1, pnum + 1):
        for key, value in by_pno[n].cp.items():
            if key in cp and key not in _REPEATED:
                raise SplitError(f"CP key {key} appears in more than one part")
            cp.setdefault(key, value)
    first = by_pno[1]
    header = {k: v for k, v in first.header.items() if k not in ("PNUM", "PNO")}
    if "Flag" in header:
        header["Flag"] = str(int(header["Flag"]) & ~FLAG_SPLIT)
    warnings = tuple(w for p in parts for w in p.warnings)
    return Packet(header, cp, first.version, warnings)
