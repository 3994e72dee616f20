"""Reference-O2 conversion (GB 13271-2014 §5.2), limits as data, CEMS validity, loads and permits."""

import math

import numpy as np
import polars as pl
import pytest

from ecomon.standards.emission import (
    daily_means,
    emission_load,
    exceedance_multiple,
    flag_valid,
    hour_valid,
    month_valid,
    permit_usage,
    reference_oxygen,
)
from ecomon.standards.emission_limits import LIMIT_SETS, limit_set


@pytest.mark.parametrize(
    ("o2_ref", "expected"), [(9.0, 133.333), (6.0, 166.667), (15.0, 66.667), (12.0, 100.0)]
)
def test_100_mg_at_12_percent_o2_converted_to_the_reference(o2_ref, expected):
    assert reference_oxygen([100.0], [12.0], o2_ref)[0] == pytest.approx(expected, abs=1e-3)


def test_no_conversion_at_or_above_21_percent_o2():
    assert np.isnan(reference_oxygen([100.0, 100.0], [21.0, np.nan], 9.0)).all()


@pytest.mark.parametrize(
    ("standard", "category", "o2", "pm", "so2", "nox"),
    [
        ("GB13271-2014", "coal-existing", 9.0, 80, 400, 400),
        ("GB13271-2014", "coal-new", 9.0, 50, 300, 300),
        ("GB13271-2014", "gas-new", 3.5, 20, 50, 200),
        ("GB13271-2014", "gas-special", 3.5, 20, 50, 150),
        ("GB13271-2014", "oil-new", 3.5, 30, 200, 250),
        ("GB13223-2011", "coal-new", 6.0, 30, 100, 100),
        ("ultra-low-2015", "coal", 6.0, 10, 35, 50),
    ],
)
def test_limit_tables(standard, category, o2, pm, so2, nox):
    limits = limit_set(standard, category)
    assert (limits.o2_ref, limits.limits["PM"], limits.limits["SO2"], limits.limits["NOx"]) == (
        o2,
        pm,
        so2,
        nox,
    )


def test_every_limit_set_cites_its_clause_and_unknown_names_are_listed():
    assert all(entry.clause and entry.o2_ref > 0 for entry in LIMIT_SETS.values())
    with pytest.raises(ValueError, match="coal-new"):
        limit_set("GB13271-2014", "coal")
    with pytest.raises(ValueError, match="GB13223-2011"):
        limit_set("GB9999", "x")


def test_hourly_exceedance_after_conversion():
    # coal boiler, new: SO2 300 at 9 % O2; 240 measured at 13 % → 240·12/8 = 360 → multiple 0.2
    converted = reference_oxygen([240.0, 200.0], [13.0, 13.0], 9.0)
    multiple = exceedance_multiple(converted, 300.0)
    assert multiple[0] == pytest.approx(0.2) and math.isnan(multiple[1])


def test_hj212_flags_n_and_s_are_valid():
    assert flag_valid(["N", "S", "F", "M", "D", "C", "T", "B", "P"]).tolist() == [True, True] + [False] * 7
    with pytest.raises(ValueError, match="'X'"):
        flag_valid(["X"])


def test_validity_minimums_45_minutes_20_hours_25_days_23_in_february():
    assert hour_valid([44, 45]).tolist() == [False, True]
    assert month_valid([24, 25, 22, 23], [1, 1, 2, 2]).tolist() == [False, True, False, True]


def test_daily_mean_of_valid_hours_per_outlet():
    hours = pl.DataFrame(
        {
            "outlet": ["A"] * 21 + ["B"] * 2,
            "day": ["2024-01-01"] * 23,
            "SO2": [100.0] * 20 + [900.0] + [50.0, 70.0],
            "valid": [True] * 20 + [False] + [True, True],
        }
    )
    daily = daily_means(hours, ["outlet"], "day", ["SO2"], "valid")
    assert daily["SO2"].to_list() == [100.0, 60.0]
    assert daily["valid_hours"].to_list() == [20, 2]
    assert daily["day_valid"].to_list() == [True, False]


def test_load_is_concentration_times_flow_with_units():
    assert emission_load([100.0], [10000.0])[0] == pytest.approx(1.0)  # 100 mg/m³ × 10 000 m³/h × 1 h = 1 kg
    assert emission_load([30.0], [10.0], 24, "mg/L", "L/s")[0] == pytest.approx(25.92)  # 30 g/m³ × 864 m³
    with pytest.raises(ValueError, match="'ppm'"):
        emission_load([1.0], [1.0], concentration_unit="ppm")


def test_loads_against_the_permitted_total():
    usage = permit_usage([600.0, 500.0, np.nan], permitted_t=1.0)  # kg → 1.1 t
    assert usage.emitted_t == pytest.approx(1.1) and usage.exceeded and usage.share == pytest.approx(1.1)
