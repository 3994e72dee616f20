"""HJ 633 rules beyond the breakpoint table: inputs per report type, special notes, rounding, levels,
primary and exceeding pollutants, and the HJ 633-2026 publication-completeness rule."""

import numpy as np
import pytest

from ecomon.standards import aqi

NAN = np.nan


def one_row(standard, period, **values):
    row = {name.replace("PM25", "PM2.5"): np.array([float(v)]) for name, v in values.items()}
    return aqi.compute(row, standard=standard, period=period)


def iaqi_of(result, column):
    return result.iaqi[0, result.columns.index(column)]


def test_2012_daily_report_reads_o3_1h_max_and_o3_8h_max():
    result = one_row("HJ633-2012", "day", O3=250, O3_8h=200)
    assert result.columns == ("O3", "O3_8h")
    assert (iaqi_of(result, "O3"), iaqi_of(result, "O3_8h"), result.aqi[0]) == (125, 137, 137)


def test_2026_daily_report_ignores_o3_1h():
    result = one_row("HJ633-2026", "day", O3=900, O3_8h=200)
    assert result.columns == ("O3_8h",) and result.aqi[0] == 137


def test_2012_real_time_reads_pm_24h_moving_means_not_1h_values():
    result = one_row("HJ633-2012", "hour", PM25=300, PM25_24h=75)
    assert result.columns == ("PM2.5_24h",) and result.aqi[0] == 100


def test_2026_real_time_reads_pm_1h_values_on_24h_breakpoints():
    result = one_row("HJ633-2026", "hour", PM25=60, PM25_24h=300)
    assert result.columns == ("PM2.5",) and result.aqi[0] == 100


def test_real_time_gases_use_1h_breakpoints():
    result = one_row("HJ633-2026", "hour", SO2=150, NO2=100, CO=5, O3=160)
    assert result.iaqi[0].tolist() == [50, 50, 50, 50]


def test_2012_so2_1h_above_800_takes_iaqi_of_the_24h_value():
    result = one_row("HJ633-2012", "hour", SO2=900, SO2_24h=65)
    assert iaqi_of(result, "SO2") == 58 and result.aqi[0] == 58


def test_2012_so2_1h_above_800_without_24h_value_is_missing():
    assert np.isnan(one_row("HJ633-2012", "hour", SO2=900, NO2=100).iaqi[0, 0])


def test_2026_so2_1h_above_800_reports_200():
    assert one_row("HJ633-2026", "hour", SO2=900, SO2_24h=65).aqi[0] == 200


def test_2012_o3_8h_above_800_falls_back_to_o3_1h():
    result = one_row("HJ633-2012", "day", O3=900, O3_8h=850)
    assert np.isnan(iaqi_of(result, "O3_8h")) and result.aqi[0] == 350
    assert aqi.names_where(result.primary, result.columns).tolist() == ["O3"]


def test_2026_o3_8h_above_800_reports_300():
    assert one_row("HJ633-2026", "day", O3_8h=850).aqi[0] == 300


def test_2026_rounds_inputs_before_iaqi_and_2012_does_not():
    # PM2.5 35.4 → 35 (IAQI 50) under 2026; 2012 reads 35.4 (50.5 → 51). CO 2.05 → 2.0 (50) vs 2.05 (52).
    assert one_row("HJ633-2026", "day", PM25=35.4).aqi[0] == 50
    assert one_row("HJ633-2012", "day", PM25=35.4).aqi[0] == 51
    assert one_row("HJ633-2026", "day", CO=2.05).aqi[0] == 50
    assert one_row("HJ633-2012", "day", CO=2.05).aqi[0] == 52
    assert one_row("HJ633-2026", "day", PM25=35.5).aqi[0] == 52  # 36 after rounding half to even


def test_aqi_range_starts_at_1_in_2026_and_0_in_2012():
    assert one_row("HJ633-2026", "day", SO2=0, PM25=0).aqi[0] == 1
    assert one_row("HJ633-2012", "day", SO2=0, PM25=0).aqi[0] == 0


@pytest.mark.parametrize(
    ("value", "level"),
    [(0, 1), (50, 1), (51, 2), (100, 2), (101, 3), (150, 3), (151, 4), (200, 4), (201, 5), (300, 5),
     (301, 6), (500, 6)],
)
def test_levels_table_bounds(value, level):
    assert aqi.level_of(np.array([float(value)]))[0] == level


def test_missing_aqi_has_level_0():
    assert aqi.level_of(np.array([NAN]))[0] == 0


def test_primary_pollutant_only_above_50():
    result = one_row("HJ633-2026", "day", SO2=50, PM25=35)  # both IAQI 50
    assert not result.primary.any()


def test_tied_primary_pollutants_are_all_named():
    result = one_row("HJ633-2012", "day", SO2=150, NO2=80, PM25=75)  # all IAQI 100
    assert aqi.names_where(result.primary, result.columns).tolist() == ["SO2;NO2;PM2.5"]


def test_2012_exceeding_pollutants_are_iaqi_above_100():
    result = one_row("HJ633-2012", "day", SO2=150, PM10=151, PM25=80)
    assert aqi.names_where(result.exceeding, result.columns).tolist() == ["PM10;PM2.5"]


def test_2026_has_no_exceeding_pollutants():
    assert not one_row("HJ633-2026", "day", PM10=300, PM25=200).exceeding.any()


def test_no_pollutant_present_gives_missing_aqi_and_no_publication():
    result = one_row("HJ633-2026", "day", SO2=NAN, PM25=NAN)
    assert np.isnan(result.aqi[0]) and result.level[0] == 0 and not result.publish[0]


ALL_2026_DAY = {"SO2": 10, "NO2": 20, "CO": 0.5, "O3_8h": 80, "PM10": 40, "PM25": 50}


def test_2026_complete_day_is_published():
    assert one_row("HJ633-2026", "day", **ALL_2026_DAY).publish[0]


def test_2026_incomplete_day_at_or_below_100_is_not_published():
    result = one_row("HJ633-2026", "day", **{**ALL_2026_DAY, "NO2": NAN, "PM25": 60})
    assert result.aqi[0] == 100 and not result.publish[0]


def test_2026_incomplete_day_above_100_is_published():
    result = one_row("HJ633-2026", "day", **{**ALL_2026_DAY, "NO2": NAN, "PM25": 61})
    assert result.aqi[0] == 101 and result.publish[0]


def test_2026_pollutant_outside_the_monitoring_plan_does_not_block_publication():
    values = {k.replace("PM25", "PM2.5"): np.array([float(v)]) for k, v in ALL_2026_DAY.items() if k != "CO"}
    assert not aqi.compute(values, standard="HJ633-2026", period="day").publish[0]
    assert aqi.compute(values, standard="HJ633-2026", period="day", not_monitored={"CO"}).publish[0]


def test_2012_publishes_whenever_there_is_an_aqi():
    assert one_row("HJ633-2012", "day", PM25=35).publish[0]


def test_level_colours_are_the_standard_rgb_values():
    colours = [aqi.level_info(n, "HJ633-2012").hex for n in range(1, 7)]
    assert colours == ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023"]


def test_2026_advice_names_adolescents_and_cardiovascular_patients():
    assert aqi.level_info(3, "HJ633-2012").advice_zh.startswith("儿童、老年人及心脏病")
    assert aqi.level_info(3, "HJ633-2026").advice_zh.startswith("青少年儿童、老年人及心血管系统疾病")


def test_2026_sensitive_groups_for_co_and_o3():
    zh, en = aqi.sensitive_groups(["O3", "CO"])
    assert zh.startswith("心血管系统疾病患者；") and "户外活动人群" in zh and "cardiovascular" in en


def test_arrays_of_different_length_are_rejected():
    with pytest.raises(ValueError, match="differ in length"):
        aqi.compute({"SO2": np.zeros(2), "NO2": np.zeros(3)}, standard="HJ633-2026", period="day")


def test_unknown_period_is_rejected():
    with pytest.raises(ValueError, match="unknown period"):
        aqi.feeds("HJ633-2026", "week")
