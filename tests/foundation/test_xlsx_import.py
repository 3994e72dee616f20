"""An XLSX workbook (long layout, Chinese headers, a real Excel date cell) goes through the same mapping path."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from ecomon.ingest.files.importer import import_bytes
from ecomon.ingest.files.mapping import parse_mapping
from tests.foundation.helpers import ensure_registry

MAPPING = {
    "source": {"format": "xlsx", "sheet": "小时数据", "timezone": "Asia/Shanghai"},
    "time": {"column": "监测时间"},
    "station": {"column": "站点"},
    "layout": {"shape": "long", "interval": "hour", "parameter_column": "监测项目", "value_column": "浓度",
               "unit_column": "单位"},
}
ROWS = [  # station, time (text, or a datetime written as an Excel date), item (alias), value, unit
    ("Wanliu", "2016-06-01 08:00", "PM2.5", "35", "µg/m³"),
    ("Wanliu", datetime(2016, 6, 1, 9), "PM2.5", "41", "µg/m³"),
    ("Wanliu", "2016-06-01 08:00", "CO", "800", "µg/m³"),          # stored as 0.8 mg/m³
    ("Wanliu", "2016-06-01 10:00", "PM2.5", "故障", "µg/m³"),        # row 4: not a number
    ("Wanliu", "2016-06-01 11:00", "臭氧X", "60", "µg/m³"),          # row 5: unknown parameter
]


def workbook() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.add_worksheet("说明").write(0, 0, "导出说明：小时数据见下一工作表")   # the mapping names the sheet
    sheet = book.add_worksheet("小时数据")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, title in enumerate(("站点", "监测时间", "监测项目", "浓度", "单位")):
        sheet.write_string(0, col, title)
    for r, (site, t, item, value, unit) in enumerate(ROWS, start=1):
        sheet.write_string(r, 0, site)
        if isinstance(t, datetime):
            sheet.write_datetime(r, 1, t, stamp)
        else:
            sheet.write_string(r, 1, t)
        sheet.write_string(r, 2, item)
        sheet.write_string(r, 3, value)
        sheet.write_string(r, 4, unit)
    book.close()
    return buf.getvalue()


def stored(db, parameter: str, t: str) -> float | None:
    row = db.execute("""SELECT o.value FROM observation o JOIN series s ON s.id = o.series_id
                        JOIN site ON site.id = s.site_id
                        WHERE site.code = 'Wanliu' AND s.parameter_code = %s AND o.t = %s::timestamptz""",
                     (parameter, t)).fetchone()
    return row[0] if row else None


def test_xlsx_long_sheet_imports_with_aliases_units_and_rejects(db, tmp_path):
    ensure_registry(db)
    summary = import_bytes(db, workbook(), "department.xlsx", parse_mapping(MAPPING), user="test",
                           archive_root=tmp_path, local_tz="Asia/Shanghai")
    assert summary.status == "done" and summary.rows_total == 5
    assert summary.values_accepted == 3 and summary.rows_rejected == 2
    assert stored(db, "a34004", "2016-06-01T08:00:00+08:00") == 35.0
    assert stored(db, "a34004", "2016-06-01T09:00:00+08:00") == 41.0     # the Excel date cell
    assert stored(db, "a21005", "2016-06-01T08:00:00+08:00") == pytest.approx(0.8)
    rejects = {r["row_no"]: r for r in summary.rejects.iter_rows(named=True)}
    assert rejects[4]["column_name"] == "浓度" and "not a number" in rejects[4]["reason"]
    assert rejects[5]["column_name"] == "监测项目" and "unknown parameter" in rejects[5]["reason"]
    lineage = db.execute("""SELECT r.name, o.row_no FROM observation o JOIN raw_input r ON r.id = o.source_id
                            JOIN series s ON s.id = o.series_id
                            WHERE s.parameter_code = 'a21005' AND o.t = '2016-06-01T08:00:00+08:00'""").fetchone()
    assert lineage == ("department.xlsx", 3)
