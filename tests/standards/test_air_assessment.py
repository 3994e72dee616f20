"""HJ 663 statistics and the composite index, with GB 3095 limits of each rule set."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomon.standards import air_assessment as aa
from ecomon.standards.air_limits import composite_denominators, limit


def test_percentile_annex_a_worked_example():
    # HJ 663 Annex A: {3, 4, 8, 2, 5, 4}, p90 → k = 1 + 5 × 0.9 = 5.5 → 5 + (8 − 5) × 0.5 = 6.5
    assert aa.percentile_hj663(np.array([3, 4, 8, 2, 5, 4.0]), 90) == 6.5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=400), st.sampled_from([90, 95, 98]))
def test_polars_linear_quantile_is_the_annex_a_method(values, p):
    series = pl.DataFrame({"x": values})
    got = series.select(aa._percentile("x", p)).item()
    assert got == pytest.approx(aa.percentile_hj663(np.array(values), p), rel=1e-12, abs=1e-9)


def test_composite_index_worked_example():
    # Anhui bulletin: 21/35 + 39/70 + 9/60 + 15/40 + 192/160 + 0.7/4 = 3.06 (GB 3095-2012 denominators)
    s = composite_denominators("GB3095-2012")
    total = 21 / s["PM2.5"] + 39 / s["PM10"] + 9 / s["SO2"] + 15 / s["NO2"] + 192 / s["O3_8h"] + 0.7 / s["CO"]
    assert round(total, 2) == 3.06


def test_composite_denominators_follow_the_limit_set():
    assert composite_denominators("GB3095-2026-transitional")["PM2.5"] == 30
    assert composite_denominators("GB3095-2026")["PM10"] == 50


@pytest.mark.parametrize(
    ("limits", "item", "averaging", "grade", "value"),
    [("GB3095-2012", "PM2.5", "24h", 2, 75), ("GB3095-2026-transitional", "PM2.5", "24h", 2, 60),
     ("GB3095-2026", "PM2.5", "24h", 2, 50), ("GB3095-2026", "PM2.5", "year", 1, 10),
     ("GB3095-2026", "NO2", "year", 2, 30), ("GB3095-2026", "SO2", "1h", 2, 150), ("GB3095-2012", "O3_8h", "8h", 1, 100)],
)
def test_gb3095_table_1_values(limits, item, averaging, grade, value):
    assert limit(limits, item, averaging, grade) == value


def year_of_days(pm25, *, station="A", year=2015, o3=100.0):
    dates = pl.date_range(dt.date(year, 1, 1), dt.date(year, 12, 31), eager=True)
    n = dates.len()
    values = {c: [v] * n for c, v in {"SO2": 10.0, "NO2": 20.0, "CO": 1.0, "PM10": 60.0, "O3": o3 + 20}.items()}
    return pl.DataFrame({"station": [station] * n, "date": dates, **values, "PM2.5": pm25(n), "O3_8h": [o3] * n})


def test_annual_statistics_compliance_and_good_days():
    daily = aa.daily_aqi(year_of_days(lambda n: [30.0] * (n - 20) + [160.0] * 20))
    stats = aa.period_statistics(daily, period="year", limits="GB3095-2012").row(0, named=True)
    assert stats["PM2.5_days"] == 365 and stats["PM2.5_valid"]
    assert stats["PM2.5_exceed_days"] == 20 and stats["heavy_days"] == 20 and stats["good_days"] == 345
    assert stats["good_rate"] == round(100 * 345 / 365, 1)
    assert stats["PM2.5_p95"] == 160.0  # more than 5 % of days at 160
    assert stats["PM2.5_compliant"] is False and stats["SO2_compliant"] is True
    assert stats["compliant"] is False
    expected = 10 / 60 + 20 / 40 + 1.0 / 4 + 100 / 160 + 60 / 70 + stats["PM2.5"] / 35
    assert stats["composite"] == round(expected, 2) and stats["composite_primary"] == "PM2.5"


def test_same_data_fails_the_stricter_2026_final_limits():
    daily = aa.daily_aqi(year_of_days(lambda n: [28.0] * n))
    old = aa.period_statistics(daily, period="year", limits="GB3095-2012").row(0, named=True)
    new = aa.period_statistics(daily, period="year", limits="GB3095-2026").row(0, named=True)
    assert old["PM2.5_compliant"] is True and new["PM2.5_compliant"] is False


def test_invalid_year_has_no_compliance_verdict():
    daily = aa.daily_aqi(year_of_days(lambda n: [30.0] * 300 + [None] * (n - 300)))
    stats = aa.period_statistics(daily, period="year", limits="GB3095-2012").row(0, named=True)
    assert stats["PM2.5_valid"] is False and stats["PM2.5_compliant"] is None


def test_incomplete_day_counts_only_when_aqi_above_100():
    daily = year_of_days(lambda n: [30.0] * n).with_columns(NO2=pl.lit(None, dtype=pl.Float64))
    daily = daily.with_columns(pl.when(pl.int_range(pl.len()) < 10).then(200.0).otherwise(pl.col("PM2.5")).alias("PM2.5"))
    stats = aa.period_statistics(aa.daily_aqi(daily), period="year", limits="GB3095-2012").row(0, named=True)
    assert stats["aqi_days"] == 10 and stats["heavy_days"] == 10 and stats["good_days"] == 0  # PM2.5 200 → 250


def test_daily_aqi_switches_rules_on_2026_03_01():
    frame = pl.DataFrame({"station": ["A", "A"], "date": [dt.date(2026, 2, 28), dt.date(2026, 3, 1)],
                          "PM2.5": [75.0, 75.0]})
    daily = aa.daily_aqi(frame)
    assert daily["aqi_standard"].to_list() == ["HJ633-2012", "HJ633-2026"]
    assert daily["AQI"].to_list() == [100.0, 114.0]


def test_ranking_and_change_against_last_year():
    frames = [year_of_days(lambda n, v=v: [v] * n, station=s, year=y)
              for s, y, v in [("A", 2014, 50.0), ("A", 2015, 40.0), ("B", 2014, 30.0), ("B", 2015, 45.0)]]
    stats = aa.period_statistics(aa.daily_aqi(pl.concat(frames)), period="year", limits="GB3095-2012")
    result = aa.change_vs_last_year(aa.rank(stats)).sort("period", "station")
    assert result["rank"].to_list() == [2, 1, 1, 2]
    assert result["PM2.5_change_pct"].to_list() == [None, None, -20.0, 50.0]


def test_region_daily_values_are_station_means():
    frames = [year_of_days(lambda n, v=v: [v] * n, station=s) for s, v in [("A", 30.0), ("B", 50.0)]]
    region = aa.regional_daily(pl.concat(frames), None)
    assert region["station"].unique().to_list() == ["all"] and region["PM2.5"].unique().to_list() == [40.0]


def test_weights_for_unknown_items_are_rejected():
    daily = aa.daily_aqi(year_of_days(lambda n: [30.0] * n))
    with pytest.raises(ValueError, match="unknown items"):
        aa.period_statistics(daily, period="year", limits="GB3095-2012", weights={"Pb": 2})


def test_weighted_composite():
    daily = aa.daily_aqi(year_of_days(lambda n: [35.0] * n))
    plain = aa.period_statistics(daily, period="year", limits="GB3095-2012")["composite"].item()
    weighted = aa.period_statistics(daily, period="year", limits="GB3095-2012", weights={"PM2.5": 3})["composite"].item()
    assert weighted == pytest.approx(plain + 2 * 35 / 35, abs=0.01)
