"""Protocol versions and what the Flag field says about them.

Flag bits (HJ 212-2017 Table 3 / HJ 212-2025 Table 3): bit0 (+1) reply needed, bit1 (+2) PNUM/PNO present,
bits 2-7 the version: 000000 HJ/T 212-2005, 000001 HJ 212-2017, 000010 HJ 212-2025 ("本次修订"). HJ 212-2025
prints the two low bits with swapped letters (A/D) but the same values, so one decoder serves all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Version(Enum):
    HJT212_2005 = 0
    HJ212_2017 = 1
    HJ212_2025 = 2

    @property
    def label(self) -> str:
        return {0: "HJ/T 212-2005", 1: "HJ 212-2017", 2: "HJ 212-2025"}[self.value]


FLAG_REPLY = 0x01  # 2017 "A" / 2025 "D": the command needs a reply
FLAG_SPLIT = 0x02  # 2017 "D" / 2025 "A": the packet carries PNUM and PNO


def flag_version_bits(flag: int) -> int:
    return (flag >> 2) & 0x3F


def make_flag(version: Version, *, reply: bool, split: bool) -> int:
    return (version.value << 2) | (FLAG_REPLY if reply else 0) | (FLAG_SPLIT if split else 0)


@dataclass(frozen=True, slots=True)
class Limits:
    """Field rules per version (2017/2025 Table 3; 2005 widths from the sources cited in the reference §3.1)."""

    qn_required: bool
    mn_hex24: bool  # MN is 24 characters 0-9/A-F (EPC-96 in 2017; host-assigned 入网编码 in 2025)
    mn_max: int
    max_segment: int = 1024  # Table 2: data segment 0..1024 characters
    max_cp: int = 950  # Table 3: CP=&&…&& 0..950 characters (2005: 960)


LIMITS = {
    Version.HJT212_2005: Limits(qn_required=False, mn_hex24=False, mn_max=14, max_cp=960),
    Version.HJ212_2017: Limits(qn_required=True, mn_hex24=True, mn_max=24),
    Version.HJ212_2025: Limits(qn_required=True, mn_hex24=True, mn_max=24),
}
