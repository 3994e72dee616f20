"""What every report is: a title block, tables with typed columns, and footnotes naming the rule set.

Each report kind provides `queries(...)` (SQL text + arguments, so the synchronous CLI and the async API run
the same statements under their own access scope) and `build(...)` (pure: query rows → Report); the XLSX and
HTML renderers only read a Report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    unit: str = ""
    decimals: int | None = None
    """Numbers are shown with this many decimals (None: as text)."""
    width: int = 10


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[dict]
    highlight: str | None = None
    """Key of a column holding a hex colour for the row's level cell (AQI colours), if any."""


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    subtitle: str
    tables: Sequence[Table]
    footnotes: Sequence[str] = field(default_factory=tuple)
    filename: str = "report"

    def cell(self, column: Column, row: dict) -> str | float | int | None:
        """The value of a cell as a spreadsheet stores it: numbers rounded to the column's decimals."""
        value = row.get(column.key)
        if value is None:
            return None
        if column.decimals is not None and isinstance(value, int | float):
            return round(float(value), column.decimals) if column.decimals else round(float(value))
        return value


def text_of(column: Column, value: object) -> str:
    """The value as the HTML report prints it ("—" for missing, fixed decimals for numbers)."""
    if value is None:
        return "—"
    if column.decimals is not None and isinstance(value, int | float):
        return f"{float(value):.{column.decimals}f}"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


Condition = tuple[str, list[object]]


@dataclass(frozen=True)
class Scopes:
    """SQL conditions limiting a report to what the caller may see (the API builds them from the principal).

    results: on an AQI result row aliased r; assessments: on an assessment result row aliased r; sites: on a site
    aliased s (observations aliased o in reach); series: on a series aliased se.
    """

    results: Condition = ("true", [])
    assessments: Condition = ("true", [])
    sites: Condition = ("true", [])
    series: Condition = ("true", [])


FULL_ACCESS = Scopes()
