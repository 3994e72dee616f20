"""`ecomon evaluate run|watch|compare`: national-standard evaluation of the stored data."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecomon.config import get_settings
from ecomon.standards.rulesets import AQI_RULESETS, AqiRuleSet, check_aqi_ruleset

console = Console()
evaluate_app = typer.Typer(help="按国家标准评价库内数据 / evaluate stored data by the national standards "
                                "(AQI HJ 633, assessment HJ 663 / GB 3095; soil, noise, radiation, water).",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(evaluate_app, name="evaluate")


def _rule_set(text: str) -> AqiRuleSet | None:
    if text == "auto":
        return None
    try:
        return check_aqi_ruleset(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _range(date_from: str | None, date_to: str | None, stored: tuple[dt.date, dt.date] | None
           ) -> tuple[dt.date | None, dt.date | None]:
    """--from/--to, each defaulting to the first/last day with stored data."""
    return (_day(date_from, "--from") or (stored[0] if stored else None),
            _day(date_to, "--to") or (stored[1] if stored else None))


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    from ecomon.reports.catalogue import within_years

    try:
        return within_years(dt.date.fromisoformat(text), option)
    except ValueError as error:
        raise typer.BadParameter(f"{option} must be a date YYYY-MM-DD: {error}") from None


@evaluate_app.command("run")
def run_command(
    date_from: Annotated[str | None, typer.Option("--from", help="first local day (default: first stored)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last local day (default: last stored)")] = None,
    rule_set: Annotated[str, typer.Option(help=f"auto (by date: before 2026-03-01 HJ633-2012) | "
                                               f"{' | '.join(AQI_RULESETS)}")] = "auto",
) -> None:
    """Hourly and daily AQI, monthly and annual assessment of stations, districts and cities."""
    from ecomon.evaluation import runner
    from ecomon.store.db import connect

    chosen = _rule_set(rule_set)
    settings = get_settings()
    with connect() as conn:
        first, last = _range(date_from, date_to, runner.stored_range(conn, settings.timezone))
        if first is None or last is None:
            console.print("no stored air aggregates: nothing to evaluate")
            return
        started = time.perf_counter()
        try:
            counts = runner.run(conn, first, last, settings.timezone, chosen)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
        conn.commit()
    console.print(f"{first}..{last} ({rule_set}): {counts.hourly:,} hourly and {counts.daily:,} daily AQI results, "
                  f"{counts.assessments:,} assessments in {time.perf_counter() - started:.1f}s")


@evaluate_app.command("env")
def env_command(
    date_from: Annotated[str | None, typer.Option("--from", help="first local day (default: first stored)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last local day (default: last stored)")] = None,
    element: Annotated[list[str] | None, typer.Option(help="soil | noise | radiation | water | ecology (repeatable; "
                                                           "default all)")] = None,
) -> None:
    """Soil samples (GB 15618 / GB 36600), noise periods and months (GB 3096), gamma and water months (GB 3838),
    stored with their rule set and input coverage."""
    from ecomon.evaluation import env_runner
    from ecomon.store.db import connect

    settings = get_settings()
    with connect() as conn:
        first, last = _range(date_from, date_to, env_runner.stored_range(conn, settings.timezone))
        if first is None or last is None:
            console.print("no stored soil, noise, radiation or water data: nothing to evaluate")
            return
        started = time.perf_counter()
        try:
            counts = env_runner.evaluate(conn, first, last, settings.timezone, elements=element or env_runner.ELEMENTS)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
        conn.commit()
    written = ", ".join(f"{n:,} {name}" for name, n in counts.written.items())
    console.print(f"{first}..{last}: {written} results in {time.perf_counter() - started:.1f}s")
    for site_id, why in counts.skipped.items():
        console.print(f"[yellow]soil site {site_id} not evaluated: {why}[/yellow]")


@evaluate_app.command("watch")
def watch_command(
    interval: Annotated[float, typer.Option(help="seconds between passes")] = 60.0,
) -> None:
    """Service: rebuild dirty aggregates and re-evaluate the days they touch, every --interval seconds."""
    from ecomon.evaluation import runner
    from ecomon.store.db import database_url

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s evaluate %(message)s")
    runner.watch(database_url(), get_settings().timezone, interval)


@evaluate_app.command("compare")
def compare_command(
    date_from: Annotated[str, typer.Option("--from", help="first local day")],
    date_to: Annotated[str, typer.Option("--to", help="last local day")],
    output: Annotated[str, typer.Option(help="table | csv")] = "table",
) -> None:
    """The same days under HJ 633-2012 and HJ 633-2026: level changes and good-day rates (优良天数比例)."""
    from ecomon.evaluation.compare import compare
    from ecomon.store.db import connect

    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    assert first is not None and last is not None
    if last < first:
        raise typer.BadParameter(f"--to ({last}) is before --from ({first})")
    with connect() as conn:
        summary = compare(conn, first, last, get_settings().timezone)
    if output == "csv":
        sys.stdout.write(summary.write_csv())
        return
    table = Table(title=f"HJ 633-2012 vs HJ 633-2026, {first}..{last}")
    for column in summary.columns:
        table.add_column(column, justify="left" if column == "place" else "right")
    for row in summary.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
