"""`ecomon eval aqi` and `ecomon eval air-assessment`: the air standards engine on CSV files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import numpy as np
import polars as pl
import typer

from ecomon.standards import aqi
from ecomon.standards.aqi_tables import FEEDS, LEVELS
from ecomon.standards.rulesets import AQI_RULESETS, check_aqi_ruleset
from ecomon.standards.tabular import InputError, numeric, read_csv, write_csv

POLLUTANT_COLUMNS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5", "O3_8h", "PM10_24h", "PM2.5_24h", "SO2_24h")

AQI_HELP = """按 HJ 633 计算空气质量指数 / compute the AQI (HJ 633-2012 or HJ 633-2026) for every row of a CSV file.

\b
Input columns (µg/m³; CO in mg/m³; an empty cell is a missing value):
  SO2, NO2, CO, O3, PM10, PM2.5   1-h values (--period hour) or 24-h means and,
                                  for O3, the daily maximum 1-h value (--period day)
  O3_8h                           8-h moving mean (hour) / daily maximum 8-h mean (day)
  PM10_24h, PM2.5_24h, SO2_24h    24-h moving means for the HJ 633-2012 real-time AQI
Which columns feed the AQI depends on the standard and period:
  HJ633-2012 day   SO2 NO2 CO PM10 PM2.5 O3 O3_8h
  HJ633-2012 hour  SO2 NO2 CO O3 O3_8h PM10_24h PM2.5_24h (SO2_24h when SO2 > 800)
  HJ633-2026 day   SO2 NO2 CO PM10 PM2.5 O3_8h
  HJ633-2026 hour  SO2 NO2 CO O3 PM10 PM2.5 (PM 1-h values on the 24-h breakpoints)
Every other column passes through unchanged. Output: the input columns, IAQI_<column> per pollutant used,
AQI (NA if no pollutant is present), level (1-6), category, primary (column names joined by ';', empty when
AQI <= 50), exceeding (HJ633-2012 only: IAQI > 100) and publish (HJ 633-2026: false when a pollutant is
missing and AQI <= 100). Bad input exits with code 2 and names the row and column.
"""


def register(app: typer.Typer) -> None:
    """Attach `aqi` and `air-assessment` to the `ecomon eval` group."""
    app.command("aqi", help=AQI_HELP)(eval_aqi)


def fail_on_input_error(action: Callable[[], None]) -> None:
    """Run `action`; an InputError becomes a one-line message on stderr and exit code 2."""
    try:
        action()
    except InputError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def eval_aqi(
    standard: Annotated[str, typer.Option(help=" | ".join(AQI_RULESETS))],
    source: Annotated[str, typer.Argument(metavar="[INPUT.csv|-]", help="CSV file, or - for stdin")] = "-",
    period: Annotated[str, typer.Option(help="hour (实时报) | day (日报)")] = "day",
    not_monitored: Annotated[
        str,
        typer.Option(help="HJ633-2026: comma-separated pollutants outside the monitoring plan that do not "
                          "block publication (never primary on a polluted day in the past 3 years)"),
    ] = "",
    details: Annotated[bool, typer.Option(help="add category_en, colour, effects and advice (zh, en)")] = False,
) -> None:
    try:
        rule = check_aqi_ruleset(standard)
        aqi.feeds(rule, period)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    exempt = tuple(name.strip() for name in not_monitored.split(",") if name.strip())
    fail_on_input_error(lambda: write_csv(aqi_table(read_csv(source), rule, period, exempt, details)))


def aqi_table(frame: pl.DataFrame, standard: aqi.AqiRuleSet, period: str, not_monitored: tuple[str, ...],
              details: bool) -> pl.DataFrame:
    """The input frame with the AQI columns appended (all text, so pass-through cells stay unchanged)."""
    present = [column for column in POLLUTANT_COLUMNS if column in frame.columns]
    if not present:
        raise InputError(f"no pollutant column; expected one or more of {', '.join(POLLUTANT_COLUMNS)}")
    values = {column: numeric(frame, column) for column in present}
    wanted = set(aqi.input_columns(standard, period))
    if not wanted & set(present):
        raise InputError(
            f"none of the columns {', '.join(present)} feeds the {standard} {period} AQI, which reads "
            f"{', '.join(feed.column for feed in FEEDS[(standard, period)])}"
        )
    ignored = [column for column in present if column not in wanted]
    if ignored:
        typer.echo(f"note: {', '.join(ignored)} not used by the {standard} {period} AQI (passed through)", err=True)
    result = aqi.compute(values, standard=standard, period=period, not_monitored=not_monitored)
    added = _aqi_columns(result, details)
    clash = [name for name in added if name in frame.columns]
    if clash:
        raise InputError(f"the input already has output column(s) {', '.join(clash)}")
    return frame.with_columns(pl.Series(name, column) for name, column in added.items())


def _integers_or_na(values: np.ndarray) -> pl.Series:
    return pl.Series(values, nan_to_null=True).cast(pl.Int64).cast(pl.Utf8).fill_null("NA")


def _aqi_columns(result: aqi.AqiResult, details: bool) -> dict[str, pl.Series | np.ndarray]:
    missing = np.isnan(result.aqi)
    level_text = np.where(missing, "", result.level.astype(str))
    by_level = [""] + [row.category_zh for row in LEVELS]
    added: dict[str, pl.Series | np.ndarray] = {
        f"IAQI_{column}": _integers_or_na(result.iaqi[:, index]) for index, column in enumerate(result.columns)
    }
    added["AQI"] = _integers_or_na(result.aqi)
    added["level"] = level_text
    added["category"] = np.array(by_level, dtype=object)[result.level]
    added["primary"] = aqi.names_where(result.primary, result.columns)
    if result.standard == "HJ633-2012":
        added["exceeding"] = aqi.names_where(result.exceeding, result.columns)
    added["publish"] = np.where(result.publish, "true", "false")
    if details:
        added.update(_detail_columns(result))
    return added


def _detail_columns(result: aqi.AqiResult) -> dict[str, np.ndarray]:
    infos = [None] + [aqi.level_info(number, result.standard) for number in range(1, 7)]
    fields = {"category_en": "category_en", "colour": "hex", "effects": "effects_zh", "effects_en": "effects_en",
              "advice": "advice_zh", "advice_en": "advice_en"}
    columns = {
        name: np.array([""] + [getattr(info, attribute) for info in infos[1:]], dtype=object)[result.level]
        for name, attribute in fields.items()
    }
    if result.standard == "HJ633-2026":
        groups = aqi.names_where(result.iaqi > 100, result.pollutants, separator=",")
        lookup = {combo: aqi.sensitive_groups(combo.split(",")) for combo in set(groups)}
        columns["sensitive_groups"] = np.array([lookup[g][0] for g in groups], dtype=object)
        columns["sensitive_groups_en"] = np.array([lookup[g][1] for g in groups], dtype=object)
    return columns
