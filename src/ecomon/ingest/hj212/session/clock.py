"""Device clock drift (HJ 212-2017 §6.7: the platform sets the field unit's time with 1012; 1013 is the field asking).

QN is the request's send time on the device clock, to the millisecond (Table 3: YYYYMMDDhhmmsszzz); HJ/T 212-2005
devices often omit it, then the DataTime of a real-time packet (2011, sample instant) stands in. Minute/hour/day
DataTimes are interval starts and history uploads are old by design, so they are never used.
"""

from __future__ import annotations

from datetime import datetime

from ecomon.ingest.hj212.codec import Packet

_QN_FORMAT = "%Y%m%d%H%M%S%f"
_TIME_FORMAT = "%Y%m%d%H%M%S"


def device_time(packet: Packet) -> datetime | None:
    """The device's clock reading carried by `packet`, or None when it carries none we trust."""
    qn = packet.qn
    try:
        if qn and len(qn) == 17 and qn.isdigit():
            return datetime.strptime(qn + "000", _QN_FORMAT)
        data_time = packet.cp.get("DataTime")
        if packet.cn == "2011" and data_time and len(data_time) == 14 and data_time.isdigit():
            return datetime.strptime(data_time, _TIME_FORMAT)
    except ValueError:
        return None
    return None


def clock_offset(packet: Packet, now_local: datetime) -> float | None:
    """Device clock minus platform clock in seconds (positive: the device is ahead)."""
    seen = device_time(packet)
    return None if seen is None else (seen - now_local).total_seconds()
