"""Shared CSV I/O of `ecomon eval`: text pass-through, numeric parsing, errors that name row and column."""

import io
import sys

import numpy as np
import polars as pl
import pytest

from ecomon.standards.tabular import InputError, numeric, read_csv, write_csv


def _read(text: bytes, monkeypatch: pytest.MonkeyPatch) -> pl.DataFrame:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    return read_csv("-")


def test_all_columns_are_text_so_ids_pass_through_unchanged(monkeypatch):
    frame = _read(b"id,time,SO2\n007,2026-03-01T01:00,5.50\n", monkeypatch)
    assert frame.dtypes == [pl.Utf8, pl.Utf8, pl.Utf8]
    assert frame.row(0) == ("007", "2026-03-01T01:00", "5.50")


def test_gb18030_and_utf8_bom_files_are_read(monkeypatch, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("站点,SO2\n东四,5\n".encode("gb18030"))
    assert read_csv(str(path)).row(0) == ("东四", "5")
    assert _read("\ufeff站点,SO2\n东四,5\n".encode(), monkeypatch).columns == ["站点", "SO2"]


def test_numeric_reads_empty_cells_as_nan():
    frame = pl.DataFrame({"PM2.5": ["35", " 36.5 ", "", None]})
    np.testing.assert_array_equal(numeric(frame, "PM2.5"), [35.0, 36.5, np.nan, np.nan])


def test_non_number_error_names_row_and_column():
    frame = pl.DataFrame({"PM2.5": ["1", "2", "abc"]})
    with pytest.raises(InputError) as caught:
        numeric(frame, "PM2.5")
    assert (caught.value.row, caught.value.column) == (3, "PM2.5")
    assert str(caught.value) == "row 3, column PM2.5: 'abc' is not a number"


@pytest.mark.parametrize("cell", ["inf", "nan", "1,5"])
def test_non_finite_or_comma_decimal_is_not_a_number(cell):
    with pytest.raises(InputError, match="is not a number"):
        numeric(pl.DataFrame({"x": [cell]}), "x")


def test_negative_value_rejected_unless_allowed():
    frame = pl.DataFrame({"T": ["1", "-2"]})
    with pytest.raises(InputError, match="row 2, column T: '-2' is negative"):
        numeric(frame, "T")
    np.testing.assert_array_equal(numeric(frame, "T", allow_negative=True), [1.0, -2.0])


def test_ragged_row_is_reported_by_number(monkeypatch):
    with pytest.raises(InputError, match="row 2: 3 fields where the header has 2"):
        _read(b"id,SO2\n1,2\n3,4,5\n", monkeypatch)


def test_missing_file_and_empty_input_are_clear_errors(monkeypatch, tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_csv(str(tmp_path / "absent.csv"))
    with pytest.raises(InputError, match="empty"):
        _read(b"", monkeypatch)


def test_write_csv_leaves_missing_cells_empty(capsys):
    write_csv(pl.DataFrame({"id": ["1", "2"], "AQI": [58, None]}))
    assert capsys.readouterr().out == "id,AQI\n1,58\n2,\n"
    write_csv(pl.DataFrame({"AQI": [None]}, schema={"AQI": pl.Int64}), null_value="NA")
    assert capsys.readouterr().out == "AQI\nNA\n"


def test_write_csv_writes_empty_text_as_an_empty_cell(capsys):
    write_csv(pl.DataFrame({"id": ["1"], "primary": [""]}))
    assert capsys.readouterr().out == "id,primary\n1,\n"
