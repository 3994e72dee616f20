"""The structured CP view the gateway uses: (factor code, value kind, value, flag) rows without string parsing."""

from datetime import datetime

import pytest
from hj212_vectors import A2_EX2_REGION, A2_HEAD, frame

from ecomon.ingest.hj212.codec import BadField, FactorRow, data_view, decode


def test_minute_packet_rows_from_2025_appendix_a2() -> None:
    view = decode(frame(A2_HEAD + A2_EX2_REGION + "&&")).view()
    assert view.data_time == datetime(2024, 5, 20, 21, 6)
    assert FactorRow("a01014", "Avg", "3.211", 3.211, "N") in view.rows
    assert len(view.rows) == 9 and {r.flag for r in view.rows} == {"N"}


def test_real_time_rows_keep_attributes_and_converted_values() -> None:
    view = data_view({"DataTime": "20160801085857", "a21026-Rtd": "18.5", "a21026-ZsRtd": "20.1",
                      "a21026-Flag": "N", "a21026-SampleTime": "20160801085800", "a21026-EFlag": "A01"})
    assert [(r.code, r.kind, r.value, r.flag) for r in view.rows] == [
        ("a21026", "Rtd", 18.5, "N"), ("a21026", "ZsRtd", 20.1, "N")]
    assert view.attributes["a21026"] == {"Flag": "N", "SampleTime": "20160801085800", "EFlag": "A01"}


def test_non_numeric_values_keep_text_and_have_no_number() -> None:
    (row,) = data_view({"i11001-Info": "//清洗管路//"}).rows
    assert (row.text, row.value) == ("//清洗管路//", None)


def test_params_without_factor_code() -> None:
    view = data_view({"RtdInterval": "30"})
    assert view.params == {"RtdInterval": "30"} and view.rows == () and view.data_time is None


def test_impossible_data_time_is_a_bad_field() -> None:
    with pytest.raises(BadField, match="DataTime"):
        data_view({"DataTime": "20161301000000"})
