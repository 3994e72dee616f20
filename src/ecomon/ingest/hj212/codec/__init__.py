"""HJ 212 codec (HJ/T 212-2005, HJ 212-2017, HJ 212-2025): pure functions from bytes to packets and back.

No I/O and no state: the gateway owns sockets, clocks, device profiles and keys and passes what a call needs.
"""

from ecomon.ingest.hj212.codec.cp import DataView, FactorRow, data_view
from ecomon.ingest.hj212.codec.crc import crc16, crc16_hex
from ecomon.ingest.hj212.codec.errors import (
    BadCrcField,
    BadEncoding,
    BadField,
    BadHeader,
    BadTerminator,
    CrcMismatch,
    DecryptError,
    Hj212Error,
    LengthMismatch,
    SplitError,
    VersionMismatch,
)
from ecomon.ingest.hj212.codec.packet import Packet, build, decode, encode
from ecomon.ingest.hj212.codec.sm4 import CipherForm
from ecomon.ingest.hj212.codec.versions import Version

__all__ = [
    "BadCrcField", "BadEncoding", "BadField", "BadHeader", "BadTerminator", "CipherForm", "CrcMismatch",
    "DataView", "DecryptError", "FactorRow", "Hj212Error", "LengthMismatch", "Packet", "SplitError", "Version",
    "VersionMismatch", "build", "crc16", "crc16_hex", "data_view", "decode", "encode",
]
