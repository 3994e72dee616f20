"""Data packets → observation rows (pure). Which value of a factor is stored, and at which interval kind:

- 2011 实时数据 (real-time): `xxx-Rtd` → interval `raw`;
- 2051 分钟数据, 2061 小时数据, 2031 日数据: `xxx-Avg` → `minute`, `hour`, `day`
  (HJ 212-2017 App. C, Tables C.25-C.28; Min/Max/Cou are not stored as observations).
DataTime is local time of the device (UTC+8 for China, the standard's clock) and is the sample instant (2011) or
the interval start (2051/2061/2031, HJ 212-2017 §6.3.4). The HJ 212 data flag (`xxx-Flag`) goes to data_flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from ecomon.ingest.hj212.codec import Hj212Error, Packet, data_view

# CN → (value kind, interval kind); HJ 212-2017 Table 6 / App. C.
DATA_COMMANDS: dict[str, tuple[str, str]] = {
    "2011": ("Rtd", "raw"),
    "2051": ("Avg", "minute"),
    "2061": ("Avg", "hour"),
    "2031": ("Avg", "day"),
}

ROW_SCHEMA = {"site_id": pl.Int64, "outlet_id": pl.Int64, "parameter": pl.Utf8, "interval": pl.Utf8, "t_local": pl.Datetime("us"),
              "value": pl.Float64, "data_flag": pl.Utf8, "source_id": pl.Int64, "row_no": pl.Int32}


@dataclass(frozen=True, slots=True)
class PacketRows:
    rows: list[tuple]
    note: str | None


def packet_rows(packet: Packet, site_id: int | None, source_id: int, known: frozenset[str],
                outlet_id: int | None = None) -> PacketRows:
    """Rows of one accepted data packet of a device at a monitoring site or at an enterprise outlet (CEMS), and a
    note on what was not stored (unknown factor, non-number)."""
    kind, interval = DATA_COMMANDS[packet.cn or ""]
    stored = (f"-{kind}", "-Flag")  # Min/Max/Cou are not parsed: a third of the writer's CPU went to them
    try:
        view = data_view({k: v for k, v in packet.cp.items() if "-" not in k or k.endswith(stored)})
    except Hj212Error as exc:
        return PacketRows([], f"no observations: {exc}")
    if view.data_time is None:
        return PacketRows([], "no observations: CP has no DataTime")
    rows, skipped = [], []
    for row_no, row in enumerate(view.rows, start=1):
        if row.kind != kind:
            continue
        if row.code not in known:
            skipped.append(f"{row.code} (unknown factor code)")
        elif row.value is None:
            skipped.append(f"{row.code}-{kind}={row.text!r} (not a number)")
        else:
            rows.append((site_id, outlet_id, row.code, interval, view.data_time, row.value, row.flag, source_id,
                         row_no))
    return PacketRows(rows, "skipped " + ", ".join(skipped) if skipped else None)


def to_frame(rows: Iterable[tuple], local_tz: str) -> pl.DataFrame:
    """Rows as a frame with t in UTC; within the frame the last row of a (site or outlet, parameter, interval, t)
    wins, so a packet re-sent within one batch is stored once."""
    columns = list(zip(*rows, strict=True)) or [()] * len(ROW_SCHEMA)  # columns, not rows: polars builds
    frame = pl.DataFrame(dict(zip(ROW_SCHEMA, columns, strict=True)), schema=ROW_SCHEMA)  # these far faster
    return (frame.with_columns(t=pl.col("t_local").dt.replace_time_zone(local_tz, ambiguous="earliest")
                               .dt.convert_time_zone("UTC"))
            .drop("t_local")
            .unique(subset=["site_id", "outlet_id", "parameter", "interval", "t"], keep="last", maintain_order=True))
