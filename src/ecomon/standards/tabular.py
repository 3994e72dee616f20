"""CSV in, CSV out for the `ecomon eval` commands.

Every evaluation command reads a table whose cells stay text (so identifiers, times and other pass-through
columns come back byte-for-byte), converts only the columns it evaluates, and names the exact row and column
when a cell cannot be used. Files exported by Chinese spreadsheet software are often GB 18030 with a BOM;
both UTF-8 (with or without BOM) and GB 18030 are accepted.
"""

from __future__ import annotations

import csv
import io
import sys

import numpy as np
import polars as pl


class InputError(ValueError):
    """A data file cannot be evaluated; says where (1-based data row, header excluded; column) and why."""

    def __init__(self, reason: str, *, row: int | None = None, column: str | None = None) -> None:
        self.row = row
        self.column = column
        self.reason = reason
        where = [f"row {row}"] if row is not None else []
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason)


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise InputError(f"the file is neither UTF-8 nor GB 18030 text (byte {exc.start})") from None


def _locate_malformed_row(text: str) -> InputError | None:
    """Find the first row whose field count differs from the header's (Polars does not say which)."""
    rows = csv.reader(io.StringIO(text))
    width = len(next(rows))
    for number, fields in enumerate(rows, start=1):
        if fields and len(fields) != width:
            return InputError(f"{len(fields)} fields where the header has {width}", row=number)
    return None


def read_csv(source: str) -> pl.DataFrame:
    """Read a CSV file (path, or "-" for stdin) with every column as text; empty cells become null."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(source, "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from None
    text = _decode(raw)
    if not text.strip():
        raise InputError("the input is empty (a header line is required)")
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise _locate_malformed_row(text) or InputError(f"not a well-formed CSV table: {exc}") from None
    blank = [name for name in frame.columns if not name.strip()]
    if blank:
        raise InputError("the header has an empty column name")
    return frame


def numeric(df: pl.DataFrame, column: str, *, allow_negative: bool = False) -> np.ndarray:
    """Column as float64 with NaN for empty cells; any other non-number (or a negative value) is an error."""
    if column not in df.columns:
        raise InputError("column not found", column=column)
    stripped = pl.col(column).cast(pl.Utf8).str.strip_chars()
    cleaned = df.select(pl.when(stripped == "").then(None).otherwise(stripped)).to_series()
    values = cleaned.cast(pl.Float64, strict=False)
    bad = (values.is_null() & cleaned.is_not_null()) | ~values.is_finite().fill_null(True)
    if bad.any():
        index = int(bad.arg_max())
        raise InputError(f"{df.get_column(column)[index]!r} is not a number", row=index + 1, column=column)
    array = values.to_numpy().astype(np.float64, copy=False)
    if not allow_negative:
        negative = array < 0
        if negative.any():
            index = int(np.argmax(negative))
            raise InputError(f"{df.get_column(column)[index]!r} is negative", row=index + 1, column=column)
    return array


def write_csv(df: pl.DataFrame, *, null_value: str = "") -> None:
    """Write the table as CSV to stdout; missing values become `null_value` (an empty cell by default).

    With the default, empty text is written as an empty cell too (Polars would write `""`), so a cell that
    means "nothing" looks the same whether it is null or empty.
    """
    if null_value == "":
        df = df.with_columns(pl.col(pl.Utf8).replace("", None))
    sys.stdout.write(df.write_csv(null_value=null_value))
    sys.stdout.flush()
