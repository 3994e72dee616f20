"""The bus between gateway and writer: one JetStream stream (file storage) of frame batches.

A message carries many frames (from many connections) received within a few milliseconds: one publish-ack per
frame caps a process near 8k/s (ARCHITECTURE, measured NATS limits), so the gateway batches and ACKs every device
in the batch once the stream has stored it. Message body: `encode_batch`; header FRAMES_HEADER: the frame count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

DEFAULT_STREAM = "HJ212"
DEDUP_WINDOW_S = 120.0


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One received frame and what the gateway knew about it. `frame` holds the bytes as latin-1 text
    (a lossless byte ↔ code point mapping)."""

    received_at: str  # ISO 8601 UTC
    peer: str
    connection_id: str
    frame: str
    device_id: int | None
    site_id: int | None
    mn: str | None
    cn: str | None
    reject_reason: str | None
    note: str | None
    cp: dict[str, str] | None = None  # decoded CP when the frame alone does not give it (SM4, split set)
    outlet_id: int | None = None  # the device is bound to an enterprise outlet (CEMS) instead of a site
    header: dict[str, str] | None = None  # QN, ST, CN, MN of the decoded packet that `cp` belongs to (forwarding)

    @property
    def frame_bytes(self) -> bytes:
        return self.frame.encode("latin-1")


def subject(stream: str) -> str:
    return f"{stream.lower()}.frames"


_FIELDS = tuple(f.name for f in fields(FrameRecord))
_HEADER = list(_FIELDS)
FRAMES_HEADER = "Ecomon-Frames"  # NATS header: frames in the message, so the writer sizes batches unread


def encode_batch(records: list[FrameRecord]) -> bytes:
    """One JSON array: the field names, then one array of values per record (positional: a third of the cost of
    an object per record at both ends; the names make a message from another version readable by name)."""
    return _ENCODE([_HEADER, *([getattr(r, name) for name in _FIELDS] for r in records)]).encode("utf-8")


def decode_batch(payload: bytes) -> list[FrameRecord]:
    """Records of a message; also the JSON-lines form (one object per line) that gateways wrote before."""
    if payload[:1] == b"[":
        names, *rows = json.loads(payload)
        if names == _HEADER:
            return [FrameRecord(*row) for row in rows]
        return [FrameRecord(**dict(zip(names, row, strict=True))) for row in rows]
    # "\n" only: str.splitlines() also splits at U+0085 and U+2028, which latin-1 frames and CP text may hold
    return [FrameRecord(**json.loads(line)) for line in payload.decode("utf-8").split("\n") if line]


async def ensure_stream(js: JetStreamContext, stream: str) -> None:
    """Create the stream if missing: file storage so a publish-ack means the batch is on disk (fsync policy of
    the server), work-queue retention so committed batches are removed once the writer acknowledges them."""
    config = StreamConfig(name=stream, subjects=[subject(stream)], storage=StorageType.FILE,
                          retention=RetentionPolicy.WORK_QUEUE, duplicate_window=DEDUP_WINDOW_S)
    try:
        await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(config)
