"""Reports as XLSX (xlsxwriter) and HTML (Jinja2 template `templates/reports/report.html`).

Both lay a report out as the national ones are: a centred title, the date/rule-set line, bordered tables with
the unit under each column header, and numbered footnotes (注) naming the standards applied.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import jinja2
import xlsxwriter

from ecomon.reports.model import Report, text_of

FORMATS = ("xlsx", "html")
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "html": "text/html; charset=utf-8"}
_TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates" / "reports"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True, trim_blocks=True,
                          lstrip_blocks=True)
_COLOURED = ("level_text", "category", "aqi")


def render(report: Report, fmt: str) -> bytes:
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "html":
        return to_html(report).encode("utf-8")
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def _issued() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")


def to_html(report: Report) -> str:
    return _ENV.get_template("report.html").render(report=report, text_of=text_of, issued=_issued(),
                                                    coloured=_COLOURED, text_colour=_text_colour)


def _text_colour(hex_colour: str | None) -> str:
    """Dark text on the light AQI colours (green, yellow, orange), white on the dark ones."""
    if not hex_colour:
        return "#000000"
    r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 120 else "#FFFFFF"


def to_xlsx(report: Report) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(report.title[:31])
    font = {"font_name": "SimSun", "font_size": 10}
    title = book.add_format({**font, "bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    subtitle = book.add_format({**font, "align": "center"})
    caption = book.add_format({**font, "bold": True, "font_size": 11})
    header = book.add_format({**font, "bold": True, "border": 1, "align": "center", "valign": "vcenter",
                              "text_wrap": True, "bg_color": "#DDEBF7"})
    note = book.add_format({**font, "text_wrap": True, "valign": "top"})
    cells: dict[tuple, object] = {}

    def cell_format(decimals: int | None, fill: str | None) -> object:
        key = (decimals, fill)
        if key not in cells:
            spec = {**font, "border": 1, "align": "center", "valign": "vcenter"}
            if decimals is not None:
                spec["num_format"] = "0" if decimals == 0 else "0." + "0" * decimals
            if fill:
                spec.update(bg_color=fill, font_color=_text_colour(fill))
            cells[key] = book.add_format(spec)
        return cells[key]

    width = max(len(table.columns) for table in report.tables)
    sheet.merge_range(0, 0, 0, width - 1, report.title, title)
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, width - 1, report.subtitle, subtitle)
    row = 3
    widths = [8] * width
    for table in report.tables:
        sheet.write(row, 0, table.title, caption)
        row += 1
        sheet.set_row(row, 32)
        for index, column in enumerate(table.columns):
            sheet.write(row, index, f"{column.header}\n({column.unit})" if column.unit else column.header, header)
            widths[index] = max(widths[index], column.width)
        row += 1
        for record in table.rows:
            fill = record.get(table.highlight) if table.highlight else None
            for index, column in enumerate(table.columns):
                value = report.cell(column, record)
                fmt = cell_format(column.decimals, fill if column.key in _COLOURED else None)
                if value is None:
                    sheet.write_string(row, index, "—", fmt)
                elif isinstance(value, bool):
                    sheet.write_string(row, index, text_of(column, value), fmt)
                elif isinstance(value, int | float):
                    sheet.write_number(row, index, value, fmt)
                else:
                    sheet.write_string(row, index, str(value), fmt)
            row += 1
        if not table.rows:
            sheet.merge_range(row, 0, row, len(table.columns) - 1, "无数据", cell_format(None, None))
            row += 1
        row += 1
    for number, text in enumerate(report.footnotes, start=1):
        sheet.merge_range(row, 0, row, width - 1, f"{'注：' if number == 1 else '　　'}{number}. {text}", note)
        sheet.set_row(row, 15 * (1 + len(text) // 120))
        row += 1
    sheet.write(row + 1, 0, f"生成时间：{_issued()}（ecomon）", note)
    for index, chars in enumerate(widths):
        sheet.set_column(index, index, chars + 2)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    book.close()
    return buf.getvalue()
