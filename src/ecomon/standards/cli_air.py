"""`ecomon eval aqi` and `ecomon eval air-assessment`: the air standards engine on CSV files.

The edge of the pure modules: read text cells, convert only the evaluated columns (errors name row and
column), call the engine, write CSV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import numpy as np
import polars as pl
import typer

from ecomon.standards import air_assessment, air_validity, aqi
from ecomon.standards.aqi_tables import FEEDS, LEVELS
from ecomon.standards.rulesets import AQI_RULESETS, check_aqi_ruleset, check_limit_ruleset, limit_ruleset_on
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
    app.command("air-assessment", help=ASSESSMENT_HELP)(eval_air_assessment)


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


ASSESSMENT_HELP = """按 HJ 663 / GB 3095 评价环境空气质量 / assess ambient air over months or years.

\b
Input (CSV; µg/m³, CO in mg/m³; empty cell = missing), one of:
  long hourly   station,time,parameter,value       parameter in SO2 NO2 CO O3 PM10 PM2.5
  wide hourly   station,time,SO2,NO2,CO,O3,PM10,PM2.5   (any subset of the pollutants)
  daily (--input day)  station,date,SO2,NO2,CO,PM10,PM2.5,O3_8h[,O3]  valid daily values
                (24-h means; O3_8h = daily max 8-h mean; O3 = daily max 1-h)
time is ISO 8601 local time (an offset such as +08:00 is converted to Beijing time); --time-marks says
whether it marks the end (CNEMC: hour 16 = 15:00-16:00) or the start of the hour. Any other column may be
used with --by to aggregate stations (e.g. district). Hourly data become daily values by GB 3095 Table 4
(>= 20 hours a day; O3 8-h windows with >= 6 hours).
\b
Output: one row per station (or group) and period: period means, HJ 663 percentiles (<item>_p98/p95/p90),
valid days and Table 4 validity, days above the daily limit, AQI days counted, good days (AQI <= 100) and
good_rate %, heavy days (AQI > 200), for --period year the compliance of each item and overall, composite
index (I_<item>, composite, composite_primary), rank within the period (1 = best) and the change against
the same period a year earlier when the input holds it.
"""

LONG_COLUMNS = ("station", "time", "parameter", "value")
HOURLY_PARAMETERS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")


def eval_air_assessment(
    source: Annotated[str, typer.Argument(metavar="[INPUT.csv|-]", help="CSV file, or - for stdin")] = "-",
    period: Annotated[str, typer.Option(help="month | year")] = "year",
    standard: Annotated[
        str, typer.Option(help="GB3095-2012 | GB3095-2026-transitional | GB3095-2026 | auto (in force on the last date)")
    ] = "auto",
    grade: Annotated[int, typer.Option(help="1 (class-1 zones) or 2 (class-2 zones)")] = 2,
    aqi_standard: Annotated[str, typer.Option(help="HJ633-2012 | HJ633-2026 | auto (by each day's date)")] = "auto",
    input_kind: Annotated[str, typer.Option("--input", help="hour | day")] = "hour",
    time_marks: Annotated[str, typer.Option(help="end | start of the hour")] = "end",
    by: Annotated[str, typer.Option(help="station | all (one region of all stations) | a column name")] = "station",
) -> None:
    try:
        if period not in ("month", "year"):
            raise ValueError(f"period must be month or year, not {period!r}")
        if input_kind not in ("hour", "day"):
            raise ValueError(f"--input must be hour or day, not {input_kind!r}")
        if standard != "auto":
            check_limit_ruleset(standard)
        if aqi_standard != "auto":
            check_aqi_ruleset(aqi_standard)
        if grade not in (1, 2):
            raise ValueError(f"grade must be 1 or 2, not {grade}")
        if time_marks not in ("end", "start"):
            raise ValueError(f"time marks must be end or start, not {time_marks!r}")
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None

    def run() -> None:
        frame = read_csv(source)
        daily = _daily_from_input(frame, input_kind, time_marks, by)  # type: ignore[arg-type]
        rule = None if aqi_standard == "auto" else check_aqi_ruleset(aqi_standard)
        if by == "station":
            daily = air_assessment.daily_aqi(daily, rule)
        else:
            daily = air_assessment.regional_daily(daily, None if by == "all" else by, rule)
        limits = limit_ruleset_on(daily["date"].max()) if standard == "auto" else check_limit_ruleset(standard)
        stats = air_assessment.period_statistics(daily, period=period, limits=limits, grade=grade)  # type: ignore[arg-type]
        stats = air_assessment.change_vs_last_year(air_assessment.rank(stats))
        stats = stats.rename({"station": by}).with_columns(limits=pl.lit(limits))
        write_csv(_for_output(stats))

    fail_on_input_error(run)


def _is_iso(value: str | None) -> bool:
    try:
        dt.datetime.fromisoformat(value or "")
    except ValueError:
        return False
    return True


def _parsed_times(frame: pl.DataFrame, column: str, to_date: bool) -> pl.Series:
    if column not in frame.columns:
        raise InputError("column not found", column=column)
    text = frame.get_column(column).str.strip_chars()
    try:
        parsed = text.str.to_datetime(strict=False, time_unit="us")
    except pl.exceptions.ComputeError:  # no common format: blame the first value Python cannot read either
        row = next((i for i, v in enumerate(text) if not _is_iso(v)), 0)
        raise InputError(f"{text[row]!r} is not an ISO 8601 date/time", row=row + 1, column=column) from None
    if parsed.dtype.time_zone is not None:  # type: ignore[union-attr]
        parsed = parsed.dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)
    bad = parsed.is_null()
    if bad.any():
        row = int(bad.arg_max())
        raise InputError(f"{text[row]!r} is not an ISO 8601 date/time", row=row + 1, column=column)
    return parsed.dt.date() if to_date else parsed


def _daily_from_input(frame: pl.DataFrame, kind: str, time_marks: air_validity.TimeMarks, by: str) -> pl.DataFrame:
    extra = [by] if by not in ("station", "all") else []
    for column in extra:
        if column not in frame.columns:
            raise InputError(f"--by names column {column!r}, which the input does not have")
    if "station" not in frame.columns:
        raise InputError("column station not found (one row per station and time is expected)")
    if kind == "day":
        present = [c for c in air_assessment.DAILY_COLUMNS if c in frame.columns]
        if not present:
            raise InputError(f"no daily pollutant column; expected some of {', '.join(air_assessment.DAILY_COLUMNS)}")
        daily = frame.select("station", *extra).with_columns(
            pl.Series("date", _parsed_times(frame, "date", to_date=True)),
            *(pl.Series(c, numeric(frame, c)).fill_nan(None) for c in present),
        )
        return daily.with_columns(
            pl.lit(None, dtype=pl.Float64).alias(c) for c in air_assessment.DAILY_COLUMNS if c not in present
        )
    if all(column in frame.columns for column in LONG_COLUMNS):
        unknown = frame.filter(~pl.col("parameter").is_in(HOURLY_PARAMETERS))["parameter"].unique().to_list()
        if unknown:
            typer.echo(f"note: parameters {', '.join(map(str, unknown[:10]))} are not assessed (ignored)", err=True)
        long = frame.select("station", "parameter").with_columns(
            pl.Series("time", _parsed_times(frame, "time", to_date=False)),
            pl.Series("value", numeric(frame, "value")),
        )
    else:
        present = [c for c in HOURLY_PARAMETERS if c in frame.columns]
        if not present:
            raise InputError("neither long (station,time,parameter,value) nor wide (station,time,SO2,…) input")
        wide = frame.select("station").with_columns(
            pl.Series("time", _parsed_times(frame, "time", to_date=False)),
            *(pl.Series(c, numeric(frame, c)) for c in present),
        )
        long = wide.unpivot(index=["station", "time"], on=present, variable_name="parameter", value_name="value")
    daily = air_validity.daily_values(long, time_marks=time_marks)
    if extra:
        groups = frame.select("station", *extra).unique(subset="station", keep="first")
        daily = daily.join(groups, on="station", how="left")
    return daily


def _for_output(stats: pl.DataFrame) -> pl.DataFrame:
    """Round for reading: concentrations 1 decimal (CO 2), sub-indices 3; booleans as true/false."""
    def rounding(name: str) -> int:
        if name.startswith("I_"):
            return 3
        return 2 if name.startswith("CO") else 1
    return stats.with_columns(
        [pl.col(n).round(rounding(n)) for n, t in stats.schema.items() if t == pl.Float64]
        + [pl.col(n).cast(pl.Utf8).str.to_lowercase() for n, t in stats.schema.items() if t == pl.Boolean]
    )
