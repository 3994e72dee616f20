"""The data area CP (HJ 212-2017 Tables 3-4 / HJ 212-2025 §6.3.4.1): `key=value` items, `,` between items of one
factor, `;` between factors; free text wrapped in `//…//` (Table C.40, i11001-Info) is opaque.

Parsing yields a flat dict (key → value string as sent): grouping by `;` is only a convention and devices break it.
`data_view` turns that dict into typed rows for the gateway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from ecomon.ingest.hj212.codec.accel import speedups as _speedups
from ecomon.ingest.hj212.codec.errors import BadField

Deviation = Callable[[str, Exception], None]

# Keep '/' and ' ' too, so free text and stray whitespace leave the fast path; ',' reads as ';' there.
_NOT_DELIMITER = bytes(b for b in range(256) if b not in b"=;, /")
_COMMA_AS_SEMICOLON = bytes.maketrans(b",", b";")
_DELIMITERS_AS_SEMICOLON = bytes.maketrans(b",=", b";;")
_ALTERNATING = b"=;" * 2048
_FREE_TEXT = "//"


def parse_cp(region: bytes, text: Callable[[bytes], str], deviation: Deviation) -> dict[str, str]:
    """Parse the bytes between `CP=&&` and `&&`; `text` decodes bytes (UTF-8, GB18030 fallback) and
    `deviation(warning, error)` decides strict vs lenient.

    Fast path for the well-formed case: if, after mapping `,` to `;`, the delimiters alone read `=;=;…=`, every
    item has exactly one `=` and no item is empty, so one split yields alternating keys and values.
    """
    if not region:
        return {}
    skeleton = region.translate(_COMMA_AS_SEMICOLON, _NOT_DELIMITER)  # only '=' and ';' (and '/', ' ') remain
    if skeleton == _ALTERNATING[:len(skeleton)] and skeleton.endswith(b"="):
        tokens = text(region.translate(_DELIMITERS_AS_SEMICOLON)).split(";")
        pairs = iter(tokens)
        cp = dict(zip(pairs, pairs))
        if 2 * len(cp) == len(tokens) and "" not in cp:
            return cp
    return _parse_slow(text(region), deviation)


def _split_items(region: str) -> list[str]:
    """Split at `;`/`,` except inside a `//free text//` value."""
    items, start, i, n = [], 0, 0, len(region)
    while i < n:
        c = region[i]
        if c == "=" and region.startswith(_FREE_TEXT, i + 1):
            end = region.find(_FREE_TEXT, i + 3)
            if end < 0:
                raise BadField("CP", f"free text opened with // at offset {i + 1} is never closed")
            i = end + 2
            continue
        if c in ";,":
            items.append(region[start:i])
            start = i + 1
        i += 1
    items.append(region[start:])
    return items


def _parse_slow(region: str, deviation: Deviation) -> dict[str, str]:
    cp: dict[str, str] = {}
    for item in _split_items(region):
        if not item.strip():
            deviation("empty CP item (stray ';' or ',')", BadField("CP", "empty item (stray ';' or ',')"))
            continue
        key, eq, value = item.partition("=")
        if not eq:
            deviation(f"CP item without '=' ignored: {item!r}", BadField("CP", f"item {item!r} has no '='"))
            continue
        if key != key.strip() or value != value.strip():
            deviation(f"whitespace around CP item {key.strip()!r} trimmed",
                      BadField(key.strip(), "whitespace around key or value"))
            key, value = key.strip(), value.strip()
        if not key:
            deviation(f"CP item without a key ignored: {item!r}", BadField("CP", f"item {item!r} has no key"))
            continue
        if "=" in value and not _is_free_text(value):
            deviation(f"CP value of {key} contains '='", BadField(key, "value contains '='"))
        if key in cp:
            deviation(f"duplicate CP key {key}: first value kept", BadField(key, "appears twice in CP"))
            continue
        cp[key] = value
    return cp


def _is_free_text(value: str) -> bool:
    return len(value) >= 4 and value.startswith(_FREE_TEXT) and value.endswith(_FREE_TEXT)


def encode_cp(cp: Mapping[str, str]) -> bytes:
    """The CP region for encoding, checked by reading it back: a strict decoder must get the same dict."""
    if not all(type(k) is str and type(v) is str for k, v in cp.items()):
        raise BadField("CP", "keys and values must be strings")
    region = format_cp(cp).encode("utf-8")
    skeleton = region.translate(_COMMA_AS_SEMICOLON, _NOT_DELIMITER)
    if skeleton == _ALTERNATING[:2 * len(cp) - 1] and "" not in cp:
        return region  # one '=' per item and one separator between items: no key or value holds a delimiter
    parsed = parse_cp(region, _utf8, _refuse)
    if parsed != cp:
        key = next(k for k in cp if parsed.get(k) != cp[k])
        raise BadField(key, f"{key}={cp[key]!r} would not read back: a delimiter (; , =) or whitespace in the key "
                            "or value; wrap free text in //…//")
    return region


def _utf8(data: bytes) -> str:
    return data.decode("utf-8")


def _refuse(warning: str, error: Exception) -> None:
    raise error


def format_cp(cp: Mapping[str, str]) -> str:
    """`;` between factors, `,` between consecutive items of the same factor code (the standard's layout)."""
    parts: list[str] = []
    previous = None
    for key, value in cp.items():
        code, dash, _ = key.partition("-")
        factor = code if dash else None
        if parts:
            parts.append("," if factor is not None and factor == previous else ";")
        parts.append(f"{key}={value}")
        previous = factor
    return "".join(parts)


# --- structured view -------------------------------------------------------------------------------------------

# Suffixes that describe a factor rather than carry a measured value (2017 Table 4; 2025 additions).
ATTRIBUTE_SUFFIXES = frozenset({"Flag", "EFlag", "SampleTime", "CompleteTime", "SampleType", "SN", "ResultType"})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_TIME_LENGTHS = frozenset({12, 14, 17})


def parse_time(text: str, key: str = "DataTime") -> datetime:
    """`YYYYMMDDhhmmss` (§6.3.4); 12 (minutes) and 17 digits (ms) as sent by real devices (reference §8.9).
    Sliced by position rather than `strptime`, which costs several times more per stored packet."""
    n = len(text)
    if n not in _TIME_LENGTHS or not text.isdigit():
        raise BadField(key, f"{text!r} is not a YYYYMMDDhhmmss time")
    try:
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                        int(text[12:14]) if n > 12 else 0, int(text[14:]) * 1000 if n == 17 else 0)
    except ValueError as exc:
        raise BadField(key, f"{text!r} is not a valid calendar time") from exc


def parse_number(text: str) -> float | None:
    """Decimal value as the standard writes numbers (Nx.y); None for non-numeric text (e.g. a log)."""
    return float(text) if _NUMBER.fullmatch(text) else None


@dataclass(frozen=True, slots=True)
class FactorRow:
    """One measured value: `a34004-Avg=14` with `a34004-Flag=N` → ("a34004", "Avg", "14", 14.0, "N")."""

    code: str
    kind: str
    text: str
    value: float | None
    flag: str | None


# The C accelerator creates FactorRows by setting exactly these slots (as the frozen dataclass __init__ does).
assert tuple(f.name for f in fields(FactorRow)) == ("code", "kind", "text", "value", "flag")


@dataclass(frozen=True, slots=True)
class DataView:
    data_time: datetime | None
    rows: tuple[FactorRow, ...]
    attributes: Mapping[str, Mapping[str, str]]  # code → {"SampleTime": …, "EFlag": …, "SN": …}
    params: Mapping[str, str]  # keys without a factor code: DataTime, RtdInterval, QnRtn, PolId …


def data_view(cp: Mapping[str, str]) -> DataView:
    """Typed rows of a data packet (2011, 2013, 2031, 2041, 2051, 2061, …) so callers never split strings."""
    parts = None if _speedups is None else _speedups.view_parts(cp, FactorRow, ATTRIBUTE_SUFFIXES, parse_number)
    rows, attributes, params = _view_parts(cp) if parts is None else parts
    data_time = params.get("DataTime")
    return DataView(parse_time(data_time) if data_time is not None else None, rows, attributes, params)


def _view_parts(cp: Mapping[str, str]) -> tuple[tuple[FactorRow, ...], dict[str, dict[str, str]], dict[str, str]]:
    """Rows, attributes by factor code and parameters of `data_view` (`_speedups.view_parts` is the same in C)."""
    attributes: dict[str, dict[str, str]] = {}
    params: dict[str, str] = {}
    values: list[tuple[str, str, str]] = []
    for key, text in cp.items():
        code, dash, kind = key.partition("-")
        if not dash:
            params[key] = text
        elif kind in ATTRIBUTE_SUFFIXES:
            attributes.setdefault(code, {})[kind] = text
        else:
            values.append((code, kind, text))
    rows = tuple(FactorRow(code, kind, text, parse_number(text), attributes.get(code, {}).get("Flag"))
                 for code, kind, text in values)
    return rows, attributes, params
