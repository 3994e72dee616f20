"""Air standards engine throughput: AQI over the Beijing station-hours and station-days, over 10M synthetic
station-hours, monthly statistics for a city of 100 stations and the monthly air report (assessments of
stations, districts and city, rankings, year-on-year, XLSX + HTML) for that city. Figures are noisy on a shared
machine.

Baseline: a bare numpy pass over the same arrays (one np.interp per pollutant and a running maximum), i.e.
the least work any vectorised AQI needs; the ratio says what the rules on top cost.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import polars as pl

from ecomon.evaluation import assessment
from ecomon.reports import monthly_air
from ecomon.reports.render import render
from ecomon.standards import air_assessment, air_validity, aqi

DATA = Path(__file__).resolve().parents[1] / "data" / "beijing-air" / "hourly-2013-03_2016-02.csv.gz"
HOUR_COLUMNS_2026 = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")


def timed(action, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def bare_numpy(columns: dict[str, np.ndarray]) -> np.ndarray:
    points = np.array([0, 50, 100, 150, 200, 300, 400, 500.0])
    out = np.full(len(next(iter(columns.values()))), np.nan)
    for values in columns.values():
        np.fmax(out, np.interp(values, points * (values.max(initial=1) / 500 + 1), points), out=out)
    return out


def report(name: str, columns: dict[str, np.ndarray], standard: str, period: str) -> None:
    rows = len(next(iter(columns.values())))
    engine = timed(lambda: aqi.compute(columns, standard=standard, period=period))  # type: ignore[arg-type]
    base = timed(lambda: bare_numpy(columns))
    print(f"{name:44} {rows:>11,} rows  {rows / engine / 1e6:6.2f} M rows/s  "
          f"(bare numpy {rows / base / 1e6:6.2f} M/s, engine/baseline time {engine / base:4.1f}x)")


def main() -> None:
    raw = pl.read_csv(DATA, null_values="NA", infer_schema_length=None).with_columns(
        time=pl.datetime("year", "month", "day", "hour"), CO=pl.col("CO") / 1000
    )
    hourly = {c: raw[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in HOUR_COLUMNS_2026}
    report("Beijing station-hours, HJ633-2026 hour", hourly, "HJ633-2026", "hour")
    report("Beijing station-hours, HJ633-2012 hour (6 col)", hourly, "HJ633-2012", "hour")

    long = raw.unpivot(index=["station", "time"], on=list(HOUR_COLUMNS_2026), variable_name="parameter",
                       value_name="value").with_columns(pl.col("value").cast(pl.Float64))
    start = time.perf_counter()
    daily = air_validity.daily_values(long, time_marks="start")
    print(f"{'Beijing hourly → valid daily values':44} {long.height:>11,} values {time.perf_counter() - start:6.2f} s")
    days = {c: daily[c].fill_null(np.nan).to_numpy() for c in air_assessment.DAILY_COLUMNS}
    report("Beijing station-days, HJ633-2026 day", days, "HJ633-2026", "day")

    rng = np.random.default_rng(1)
    n = 10_000_000
    synthetic = {c: rng.gamma(2.0, scale, n) for c, scale in
                 {"SO2": 10, "NO2": 20, "CO": 0.5, "O3": 50, "PM10": 50, "PM2.5": 35}.items()}
    for values in synthetic.values():
        values[rng.random(n) < 0.03] = np.nan
    report("synthetic station-hours, HJ633-2026 hour", synthetic, "HJ633-2026", "hour")
    del synthetic

    stations, hours = 100, 31 * 24
    times = np.datetime64("2026-03-01T00:00") + np.arange(hours).astype("timedelta64[h]")
    times = times.astype("datetime64[us]")
    city = pl.DataFrame({
        "station": np.repeat([f"S{i:03d}" for i in range(stations)], hours * 6),
        "time": np.tile(np.repeat(times, 6), stations),
        "parameter": np.tile(np.array(HOUR_COLUMNS_2026), stations * hours),
        "value": rng.gamma(2.0, 20.0, stations * hours * 6),
    })
    def month_of_city() -> None:
        days = air_assessment.daily_aqi(air_validity.daily_values(city, time_marks="end"))
        stats = air_assessment.period_statistics(days, period="month", limits="GB3095-2026-transitional")
        air_assessment.rank(stats)
    seconds = timed(month_of_city, repeat=2)
    print(f"{'monthly statistics, city of 100 stations':44} {city.height:>11,} values {seconds:6.2f} s")
    report_seconds = timed(lambda: monthly_report_of_city(rng, stations), repeat=2)
    print(f"{'monthly air report (XLSX + HTML), 100 stations':44} {'':>18} {report_seconds:6.2f} s  "
          f"(report/statistics time {report_seconds / seconds:4.1f}x)")


def monthly_report_of_city(rng: np.random.Generator, stations: int) -> None:
    """The platform path of `ecomon report monthly-air` minus the database: daily values of 100 stations in 10
    districts for the month and the same month a year earlier → assessments of stations, districts and the city
    (evaluation.assessment) → rankings and year-on-year (reports.monthly_air) → XLSX and HTML."""
    ids = np.arange(1, stations + 1)
    places = pl.DataFrame({"site_id": ids, "district": [f"1101{i % 10:02d}" for i in ids], "city": "110100"})
    rows = []
    for year in (2025, 2026):
        dates = pl.date_range(pl.date(year, 3, 1), pl.date(year, 3, 31), eager=True)
        daily = pl.DataFrame({"site_id": np.repeat(ids, len(dates)), "date": np.tile(dates.to_numpy(), stations)})
        daily = daily.with_columns(pl.Series(c, rng.gamma(2.0, scale, daily.height)) for c, scale in
                                   {"SO2": 5, "NO2": 15, "CO": 0.4, "PM10": 35, "PM2.5": 20, "O3": 60,
                                    "O3_8h": 50}.items())
        rows.append(assessment.assess(daily, places, "month", rule_set="HJ633-2026"))
    results = pl.concat(rows).with_columns(
        code=pl.format("S{}", pl.col("site_id")), name=pl.format("站点{}", pl.col("site_id")),
        region_level=pl.when(pl.col("region_code") == "110100").then(pl.lit("city")).otherwise(pl.lit("county")),
    ).select(monthly_air.FIELDS)
    built = monthly_air.build(dt.date(2026, 3, 1), {"rows": results.rows()}, "HJ633-2026")
    render(built, "xlsx")
    render(built, "html")


if __name__ == "__main__":
    main()
