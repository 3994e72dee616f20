"""`ecomon report daily|monthly-air|water|noise|radiation|soil|ecology|source`: the reports as XLSX or HTML files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomon.config import get_settings
from ecomon.reports import catalogue
from ecomon.reports.fetch import run_sync
from ecomon.reports.model import FULL_ACCESS
from ecomon.reports.render import FORMATS, render

report_app = typer.Typer(help="报表 / reports (XLSX, HTML): daily AQI, monthly air, surface water, noise, gamma, "
                                "soil, ecology, source exceedances.",
                         no_args_is_help=True)

Format = Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))]
Output = Annotated[Path, typer.Option("--output", "-o", help="file to write")]
RuleSet = Annotated[str, typer.Option(help="auto | HJ633-2012 | HJ633-2026")]


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _write(kind: str, params: dict[str, str | None], fmt: str, output: Path) -> None:
    from ecomon.store.db import connect

    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    try:
        prepared = catalogue.prepare(kind, params, get_settings().timezone, FULL_ACCESS)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    with connect() as conn:
        report = prepared.build(run_sync(conn, prepared.queries))
    output.write_bytes(render(report, fmt))
    rows = sum(len(table.rows) for table in report.tables)
    typer.echo(f"{report.title}: {rows} rows → {output}")


@report_app.command("daily")
def daily(date: Annotated[str, typer.Option(help="YYYY-MM-DD")], output: Output, fmt: Format = "xlsx",
          rule_set: RuleSet = "auto") -> None:
    """环境空气质量日报 / daily AQI report of every station and the city."""
    _write("daily", {"date": date, "rule_set": rule_set}, fmt, output)


@report_app.command("monthly-air")
def monthly_air(month: Annotated[str, typer.Option(help="YYYY-MM")], output: Output, fmt: Format = "xlsx",
                rule_set: RuleSet = "auto") -> None:
    """环境空气质量月报 / monthly air report: city vs last year, district and station rankings."""
    _write("monthly-air", {"month": month, "rule_set": rule_set}, fmt, output)


@report_app.command("water")
def water(month: Annotated[str, typer.Option(help="YYYY-MM")], output: Output, fmt: Format = "xlsx") -> None:
    """地表水断面水质月报 / monthly surface-water section table."""
    _write("water", {"month": month}, fmt, output)


@report_app.command("noise")
def noise(month: Annotated[str, typer.Option(help="YYYY-MM")], output: Output, fmt: Format = "xlsx") -> None:
    """功能区声环境质量月报 / monthly functional-zone noise compliance (stored results)."""
    _write("noise", {"month": month}, fmt, output)


@report_app.command("radiation")
def radiation(month: Annotated[str, typer.Option(help="YYYY-MM")], output: Output, fmt: Format = "xlsx") -> None:
    """环境γ辐射空气吸收剂量率月报 / monthly gamma dose-rate report (stored results)."""
    _write("radiation", {"month": month}, fmt, output)


@report_app.command("soil")
def soil(date_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
         date_to: Annotated[str, typer.Option("--to", help="YYYY-MM-DD")], output: Output, fmt: Format = "xlsx") -> None:
    """土壤污染风险评价结果 / stored soil samples under GB 15618-2018 or GB 36600-2018."""
    _write("soil", {"from": date_from, "to": date_to}, fmt, output)


@report_app.command("ecology")
def ecology(year: Annotated[str, typer.Option(help="YYYY")], output: Output, fmt: Format = "xlsx") -> None:
    """生态质量年度评价表 / yearly ecological status index (HJ 192-2015, stored results)."""
    _write("ecology", {"year": year}, fmt, output)


@report_app.command("source")
def source(date_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
           date_to: Annotated[str, typer.Option("--to", help="YYYY-MM-DD")], output: Output,
           fmt: Format = "xlsx") -> None:
    """污染源超标排放清单 / pollution-source exceedance list."""
    _write("source", {"from": date_from, "to": date_to}, fmt, output)
