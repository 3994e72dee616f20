"""The CRC of HJ 212 (HJ 212-2017 Appendix A.1, unchanged in HJ 212-2025 App. A.1 and used by HJ/T 212-2005).

The standard's loop is ``reg = (reg >> 8) ^ byte`` followed by 8 reflected shifts with 0xA001, i.e.
``reg = T[(reg >> 8) ^ byte]`` with T the CRC-16/ARC table. Only the high byte ``h`` of the register carries
state, and ``h' = H[h ^ byte]`` where ``H[i] = T[i] >> 8`` is GF(2)-linear with ``H⁸ = identity``. Hence the
register before the last table lookup is an XOR of ``H^d(byte)`` over the distance ``d`` of each byte from the
end, and bytes whose distances agree modulo 8 can be XOR-folded together first. Folding a Python int runs in C,
so the CRC of a 400-byte segment costs a handful of big-int operations instead of 400 interpreted steps.
The C accelerator (_speedups.c) folds the same way over 64-bit words; `crc16` is it when built, else `crc16_python`.
"""

from __future__ import annotations

from ecomon.ingest.hj212.codec.accel import speedups


def _arc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        reg = i
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


_T = _arc_table()
_H = tuple(t >> 8 for t in _T)


def _powers() -> tuple[tuple[int, ...], ...]:
    """``_POW[d][b] = H^d(b)`` for d = 0..7 (H⁸ is the identity, so eight powers cover every distance)."""
    powers = [tuple(range(256))]
    for _ in range(7):
        powers.append(tuple(_H[b] for b in powers[-1]))
    return tuple(powers)


_POW = _powers()
# The initial register 0xFFFF contributes H^(n-1)(0xFF); precomputed per n mod 8.
_INIT = tuple(_POW[(n - 1) % 8][0xFF] for n in range(8))
_MASKS = {8 << k: (1 << (64 << k)) - 1 for k in range(20)}


def crc16_python(data: bytes) -> int:
    """HJ 212 CRC of ``data`` (the data segment bytes) as an int 0..0xFFFF: the pure-Python reference."""
    n = len(data)
    if n == 0:
        return 0xFFFF
    acc = int.from_bytes(data, "big")
    width = 8
    while width < n:
        width <<= 1
    while width > 8:  # fold the upper half onto the lower half: keeps byte positions modulo 8
        width >>= 1
        acc = (acc >> (width << 3)) ^ (acc & _MASKS[width])
    x = _INIT[n & 7]
    p = _POW
    # byte i of the folded word (0 = most significant) sits at distance 7 - i (mod 8) from the end
    x ^= (p[7][acc >> 56] ^ p[6][(acc >> 48) & 0xFF] ^ p[5][(acc >> 40) & 0xFF] ^ p[4][(acc >> 32) & 0xFF]
          ^ p[3][(acc >> 24) & 0xFF] ^ p[2][(acc >> 16) & 0xFF] ^ p[1][(acc >> 8) & 0xFF] ^ (acc & 0xFF))
    return _T[x]


crc16 = crc16_python if speedups is None else speedups.crc16


def crc16_hex(data: bytes) -> str:
    """CRC rendered as the standard writes it: 4 upper-case hex digits, high byte first."""
    return f"{crc16(data):04X}"


def crc16_utf16(text: str) -> int:
    """CRC fed with UTF-16 code units instead of bytes, as Java/C# char-based devices compute it (reference §8.5).

    Only used to explain a CRC mismatch on non-ASCII packets, so the plain per-unit loop of App. A.1 is enough.
    """
    raw = text.encode("utf-16-le")
    reg = 0xFFFF
    for unit in (int.from_bytes(raw[i:i + 2], "little") for i in range(0, len(raw), 2)):
        reg = (reg >> 8) ^ unit
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
    return reg
