"""Holding sub-packets (HJ 212-2017 Table 3 PNUM/PNO; Tables C.49/C.50, 2025 C.57/C.58) until their set is complete.

Every part is archived and acknowledged on its own (the device waits for each 9014); the observations of the set
are taken from the reassembled packet, because a factor's value and its flag may travel in different parts.
A set not completed within `hold_s` is given up (the gap detector then asks the device for that window again).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecomon.ingest.hj212.codec import Packet, SplitError
from ecomon.ingest.hj212.codec.split import part_key, reassemble

Key = tuple[str | None, str | None, int | None, str | None]


@dataclass
class _Pending:
    parts: dict[int, Packet] = field(default_factory=dict)
    first_seen: float = 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    complete: Packet | None  # the reassembled packet, once the last part arrived
    error: str | None  # why the part could not be used (duplicate PNO, conflicting keys…)
    held: int  # parts of this set held so far


class Reassembler:
    """Pending sets of one connection; the caller supplies the clock (monotonic seconds)."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self._pending: dict[Key, _Pending] = {}

    def add(self, part: Packet, now: float) -> Outcome:
        key = part_key(part)
        pending = self._pending.setdefault(key, _Pending(first_seen=now))
        pno = part.pno or 0
        if pno in pending.parts:  # a re-sent part (no 9014 reached the device): the newer copy wins
            pending.parts[pno] = part
            return Outcome(None, None, len(pending.parts))
        pending.parts[pno] = part
        if len(pending.parts) < (part.pnum or 0):
            return Outcome(None, None, len(pending.parts))
        del self._pending[key]
        try:
            return Outcome(reassemble(list(pending.parts.values())), None, 0)
        except SplitError as exc:
            return Outcome(None, str(exc), 0)

    def expire(self, now: float) -> list[tuple[Key, int]]:
        """Give up sets older than `hold_s`; returns (key, parts held) of each."""
        stale = [k for k, p in self._pending.items() if now - p.first_seen > self.hold_s]
        return [(k, len(self._pending.pop(k).parts)) for k in stale]

    def __len__(self) -> int:
        return len(self._pending)
