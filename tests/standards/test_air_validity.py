"""GB 3095 Table 4 data validity and the O3 daily maximum 8 h mean."""

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ecomon.standards.air_validity import daily_values, enough_days, period_key


def hourly(parameter, values, day=dt.date(2026, 3, 1), station="A"):
    """Start-marked hours 0..23 of `day`; None leaves the hour out."""
    rows = [(station, dt.datetime.combine(day, dt.time(h)), parameter, float(v))
            for h, v in enumerate(values) if v is not None]
    return pl.DataFrame(rows, schema=["station", "time", "parameter", "value"], orient="row")


def test_24h_mean_needs_20_hours():
    with_20 = daily_values(hourly("PM2.5", [10] * 20 + [None] * 4), time_marks="start")
    with_19 = daily_values(hourly("PM2.5", [10] * 19 + [None] * 5), time_marks="start")
    assert with_20["PM2.5"].to_list() == [10.0]
    assert with_19["PM2.5"].to_list() == [None]


def test_end_marked_midnight_hour_belongs_to_previous_day():
    frame = hourly("SO2", [5] * 24)  # 00:00 … 23:00 of 2026-03-01
    days = daily_values(frame, time_marks="end")
    assert days["date"].to_list() == [dt.date(2026, 2, 28), dt.date(2026, 3, 1)]
    assert days["SO2"].to_list() == [None, 5.0]  # 1 hour vs 23 hours


def test_o3_8h_window_needs_6_of_8_hours():
    # only hours 0–5 present with 100 (6 hours) → the window 0–7 is valid; with 5 hours no window is.
    six = daily_values(hourly("O3", [100] * 6), time_marks="start", min_o3_windows=1)
    five = daily_values(hourly("O3", [100] * 5), time_marks="start", min_o3_windows=1)
    assert six["O3_8h"].to_list() == [100.0]
    assert five["O3_8h"].to_list() == [None]


def test_o3_daily_max_8h_is_the_largest_of_17_windows_inside_the_day():
    values = [10.0] * 24
    values[16:24] = [200.0] * 8  # the last window (16–23, ending 24:00) averages 200
    assert daily_values(hourly("O3", values), time_marks="start")["O3_8h"].to_list() == [200.0]
    values = [10.0] * 24
    values[0:8] = [80.0] * 8
    assert daily_values(hourly("O3", values), time_marks="start")["O3_8h"].to_list() == [80.0]


def test_o3_daily_max_8h_needs_14_valid_windows_unless_above_the_limit():
    twenty_hours = [50.0] * 20 + [None] * 4  # windows starting 0..14 have ≥ 6 of 8 hours: 15 ≥ 14
    assert daily_values(hourly("O3", twenty_hours), time_marks="start")["O3_8h"].to_list() == [50.0]
    sparse = [50.0] * 12 + [None] * 12  # windows starting 0..6 valid: 7 < 14
    assert daily_values(hourly("O3", sparse), time_marks="start")["O3_8h"].to_list() == [None]
    high = [200.0] * 12 + [None] * 12
    assert daily_values(hourly("O3", high), time_marks="start")["O3_8h"].to_list() == [200.0]


def test_o3_daily_max_1h():
    values = [40.0] * 24
    values[14] = 230.0
    assert daily_values(hourly("O3", values), time_marks="start")["O3"].to_list() == [230.0]


def days_frame(dates):
    return pl.DataFrame({"date": dates})


def month_days(year, month, count):
    return [dt.date(year, month, d) for d in range(1, count + 1)]


@pytest.mark.parametrize(("month", "count", "valid"), [(3, 27, True), (3, 26, False), (2, 25, True), (2, 24, False)])
def test_month_needs_27_days_or_25_in_february(month, count, valid):
    frame = days_frame(month_days(2015, month, count))
    got = frame.group_by(period_key("month")).agg(enough_days(pl.col("date"), "month"))
    assert got["date"].to_list() == [valid]


def year_of(per_month):
    return [d for m, n in enumerate(per_month, start=1) for d in month_days(2015, m, n)]


def test_year_needs_324_days_and_every_month_valid():
    full = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    cases = {
        "324 days, every month ≥ 27": ([27, 25, 28, 27, 27, 27, 27, 27, 27, 27, 27, 28], True),
        "323 days": ([27, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 28], False),
        "a month with 26": ([26] + full[1:], False),
        "February with 24": ([31, 24] + full[2:], False),
    }
    for name, (counts, expected) in cases.items():
        got = days_frame(year_of(counts)).group_by(period_key("year")).agg(enough_days(pl.col("date"), "year"))
        assert got["date"].to_list() == [expected], name
    assert sum(cases["324 days, every month ≥ 27"][0]) == 324 and sum(cases["323 days"][0]) == 323
    np.testing.assert_equal(len(year_of(full)), 365)
