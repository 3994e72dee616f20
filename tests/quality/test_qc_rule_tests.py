"""Rule tests on small hand-made series: expected QARTOD flags, edges exactly at the thresholds."""

import numpy as np
import polars as pl
import pytest

from ecomon.quality.flags import aggregate
from ecomon.quality.rules.config import AIR_HOURLY
from ecomon.quality.rules.consistency import ordered_pair_test
from ecomon.quality.rules.device_flags import device_flag_test, is_valid
from ecomon.quality.rules.flatline import flat_line_test
from ecomon.quality.rules.gaps import MIN_COVERAGE, coverage_test, time_gap_test, timeliness_test
from ecomon.quality.rules.range import climatology_test, gross_range_test
from ecomon.quality.rules.rate import rate_of_change_test
from ecomon.quality.rules.runner import flush, run_rules, run_stream
from ecomon.quality.rules.spike import spike_test

G, U, S, F, M = 1, 2, 3, 4, 9


def test_aggregate_precedence_missing_over_fail_over_suspect_over_good_over_unknown():
    assert aggregate(np.array([2, 1, 1, 3, 4]), np.array([2, 2, 3, 4, 9])).tolist() == [U, G, S, F, M]


def test_aggregate_rejects_unknown_flag_values():
    with pytest.raises(ValueError, match="holds 7 at position 1"):
        aggregate(np.array([1, 7]))


def test_gross_range_bounds_are_inclusive():
    x = np.array([0, 1000, 1000.001, -0.001, 600, 600.5, np.nan])
    assert gross_range_test(x, (0, 1000), (0, 600)).tolist() == [G, S, F, F, G, S, M]


def test_gross_range_suspect_span_must_lie_inside_fail_span():
    with pytest.raises(ValueError, match="must lie inside"):
        gross_range_test(np.array([1.0]), (0, 10), (0, 11))


def test_climatology_uses_the_span_of_the_point_period_and_unknown_without_one():
    x = np.array([10.0, 40.0, 41.0, 500.0, 5.0])
    period = np.array([1, 1, 1, 1, 7])
    assert climatology_test(x, period, {1: (0, 40)}, {1: (0, 400)}).tolist() == [G, G, S, F, U]


def test_spike_exactly_at_threshold_is_good():
    x = np.array([1.0, 1.0, 9.0, 1.0, 1.0])  # middle departs by 8, neighbours by 4
    assert spike_test(x, 4, 8).tolist() == [U, G, S, G, U]
    assert spike_test(x, 4, 7.99).tolist() == [U, G, F, G, U]


def test_spike_next_to_missing_value_is_unknown():
    assert spike_test(np.array([1.0, np.nan, 1.0, 50.0, 1.0]), 10, 40).tolist() == [U, M, U, F, U]


def test_spike_differential_needs_opposite_steps():
    assert spike_test(np.array([0.0, 5.0, 10.0, 0.0, 0.0]), 4, method="differential").tolist() == [U, G, S, G, U]


def test_rate_of_change_per_second_at_threshold_is_good():
    t = np.array([0, 3600, 7200, 10800], dtype="datetime64[s]")
    x = np.array([0.0, 100.0, 300.0, 300.0])
    assert rate_of_change_test(x, t, 100 / 3600, 200 / 3600).tolist() == [G, G, S, G]


def test_rate_of_change_rejects_non_increasing_times():
    with pytest.raises(ValueError, match="position 2"):
        rate_of_change_test(np.array([1.0, 2, 3]), np.array([0, 10, 10]), 1)


def test_flat_line_four_hours_suspect_eight_fail_and_floor_guard():
    t = np.arange(12) * 3600
    x = np.array([1.0, 2, 3] + [50.0] * 9)
    flags = flat_line_test(x, t, 4 * 3600, 8 * 3600)
    # window of 5 points (4 h) first complete at index 7, window of 9 points (8 h) at index 11
    assert flags.tolist() == [G] * 7 + [S] * 4 + [F]
    assert (flat_line_test(x, t, 4 * 3600, 8 * 3600, floor=50) == G).all()


def test_flat_line_missing_value_breaks_the_window():
    x = np.array([5.0, 5, 5, np.nan, 5, 5, 5])
    assert flat_line_test(x, np.arange(7) * 60, 120, 600).tolist() == [G, G, S, M, G, G, S]


def test_time_gap_fails_the_point_after_a_gap_longer_than_the_span():
    t = np.array([0, 3600, 10800, 18001])
    assert time_gap_test(t, 7200).tolist() == [G, G, G, F]


def test_timeliness_late_and_future_records():
    assert timeliness_test(np.zeros(4), np.array([3600, 3601, 86401, -61]), 3600, 86400).tolist() == [G, S, F, F]


def test_gb3095_table4_hour_needs_45_minutes():
    assert coverage_test(np.array([45, 44]), MIN_COVERAGE["1h_minutes"]).tolist() == [G, F]


def test_pm25_above_pm10_needs_both_excess_and_ratio():
    pm25 = np.array([60.0, 61.0, 20.0, 80.0, 101.0])
    pm10 = np.array([50.0, 50.0, 9.0, 50.0, 50.0])
    # 60 = 50+10 exactly → good; 20 > 9+10 but ratio 2.2 and excess 11 → suspect; 101 > 50+50 and > 2×50 → fail
    assert ordered_pair_test(pm25, pm10, 10, 1.2, 50, 2.0).tolist() == [G, S, S, S, F]


@pytest.mark.parametrize("code,flag,valid", [("N", G, True), ("S", S, True), ("F", F, False), ("M", F, False),
                                             ("D", F, False), ("C", F, False), ("T", F, False), ("B", F, False)])
def test_hj212_2017_data_flags(code, flag, valid):
    assert device_flag_test(np.array([code])).tolist() == [flag]
    assert is_valid(np.array([code])).tolist() == [valid]


def test_hj212_unknown_flag_is_a_clear_error():
    with pytest.raises(ValueError, match="'P' at position 1 is not an HJ212-2017 flag"):
        device_flag_test(np.array(["N", "P"]))
    assert device_flag_test(np.array(["P"]), "HJ/T212-2005").tolist() == [F]


def test_site_overrides_site_type_overrides_parameter_default():
    base = AIR_HOURLY.resolve("NO2")["spike"]["suspect_threshold"]
    road = AIR_HOURLY.resolve("NO2", site_type="roadside")["spike"]["suspect_threshold"]
    assert (base, road) == (100, 150)
    with pytest.raises(ValueError, match="no thresholds for parameter 'Hg'"):
        AIR_HOURLY.resolve("Hg")


def _frame(n: int = 60) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    times = pl.datetime_range(pl.datetime(2016, 3, 1, time_zone="Asia/Shanghai"),
                              pl.datetime(2016, 3, 1, time_zone="Asia/Shanghai") + pl.duration(hours=n - 1),
                              "1h", eager=True)
    rows = []
    for station in ("A", "B"):
        pm10 = 80 + rng.normal(0, 10, n).round()
        pm25 = (pm10 * 0.6).round()
        pm25[10] = 500  # spike and pair violation
        pm25[30:40] = 55  # flat 10 h
        rows += [pl.DataFrame({"time": times, "station": station, "parameter": p, "value": v})
                 for p, v in (("PM10", pm10), ("PM2.5", pm25))]
    return pl.concat(rows).with_columns(pl.col("value").cast(pl.Float64))


def test_runner_flags_spike_pair_and_flat_line():
    out = run_rules(_frame(), AIR_HOURLY).filter((pl.col("station") == "A") & (pl.col("parameter") == "PM2.5"))
    assert out["qc_spike"][10] == F and out["qc_pair"][10] == F and out["qc"][10] == F
    assert out["qc_flat_line"][34] == S and out["qc_flat_line"][38] == F


def test_stream_in_chunks_gives_the_batch_flags():
    frame = _frame()
    batch = run_rules(frame, AIR_HOURLY)
    state, parts = None, []
    times = frame["time"].unique().sort()
    for i in range(0, times.len(), 7):
        out, state = run_stream(frame.filter(pl.col("time").is_in(times[i:i + 7].implode())), AIR_HOURLY, state)
        parts.append(out)
    parts.append(flush(state, AIR_HOURLY))
    stream = pl.concat(parts).sort(["station", "parameter", "time"])
    assert stream.select(batch.columns).equals(batch)


def test_runner_rejects_duplicates():
    frame = _frame(12)
    with pytest.raises(ValueError, match="duplicate measurement for A"):
        run_rules(pl.concat([frame, frame.head(1)]), AIR_HOURLY)


def test_flat_line_tolerance_path_agrees_with_exact_repeats_path():
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(50, 1, 2000))
    x[rng.integers(0, 2000, 50)] = np.nan
    t = np.arange(2000) * 60
    exact = flat_line_test(x, t, 180, 300)
    tolerant = flat_line_test(x, t, 180, 300, tolerance=1e-9)
    assert (exact == tolerant).all() and (exact == S).any() and (exact == F).any()


def test_flat_line_tolerance_allows_small_wiggles():
    x = np.array([10.0, 20, 30, 30.2, 30.1, 30.3, 30.2])
    assert flat_line_test(x, np.arange(7) * 60, 180, 240, tolerance=0.35).tolist() == [G, G, G, G, G, S, F]
