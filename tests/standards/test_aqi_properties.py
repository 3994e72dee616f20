"""Hypothesis properties of the AQI: monotone, AQI = max IAQI, and 2012 = 2026 where nothing changed."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomon.standards import aqi

TOPS = {"SO2": 2620, "NO2": 940, "CO": 60, "PM10": 600, "PM2.5": 500, "O3": 1200, "O3_8h": 800}


def concentration(column, *, integer=False):
    top = TOPS[column] * 1.1
    if integer:
        if column == "CO":
            return st.integers(0, int(top * 10)).map(lambda v: v / 10)
        return st.integers(0, int(top)).map(float)
    return st.one_of(st.none(), st.floats(0, top, allow_nan=False))


def as_arrays(row):
    return {k: np.array([np.nan if v is None else v]) for k, v in row.items()}


DAY_2026 = ("SO2", "NO2", "CO", "O3_8h", "PM10", "PM2.5")
rows = st.fixed_dictionaries({c: concentration(c) for c in DAY_2026})


@settings(max_examples=300, deadline=None)
@given(rows, st.sampled_from(["HJ633-2012", "HJ633-2026"]), st.sampled_from(DAY_2026), st.floats(0, 300))
def test_aqi_never_falls_when_one_concentration_rises(row, standard, column, increase):
    before = aqi.compute(as_arrays(row), standard=standard, period="day").aqi[0]
    value = (row[column] or 0.0) + increase
    if standard == "HJ633-2012" and column == "O3_8h":
        value = min(value, 800.0)  # above 800, 2012 drops the 8 h IAQI for the 1 h one (Table 1 note 3)
    raised = {**row, column: value}
    after = aqi.compute(as_arrays(raised), standard=standard, period="day").aqi[0]
    assert np.isnan(before) or after >= before


@settings(max_examples=300, deadline=None)
@given(rows, st.sampled_from(["HJ633-2012", "HJ633-2026"]))
def test_aqi_is_the_maximum_iaqi(row, standard):
    result = aqi.compute(as_arrays(row), standard=standard, period="day")
    present = result.iaqi[0][~np.isnan(result.iaqi[0])]
    if present.size == 0:
        assert np.isnan(result.aqi[0])
    else:
        floor = 1 if standard == "HJ633-2026" else 0
        assert result.aqi[0] == max(present.max(), floor)
        assert result.aqi[0] == int(result.aqi[0])


def unchanged_segment(column):
    """PM values on segments whose breakpoints HJ 633-2026 kept (≤ IAQI 50 or ≥ IAQI 150)."""
    low, high = {"PM10": (50, 250), "PM2.5": (35, 115)}[column]
    return st.one_of(st.integers(0, low), st.integers(high, TOPS[column])).map(float)


rounded_rows = st.fixed_dictionaries(
    {
        "SO2": concentration("SO2", integer=True),
        "NO2": concentration("NO2", integer=True),
        "CO": concentration("CO", integer=True),
        "O3_8h": st.integers(0, 800).map(float),
        "PM10": unchanged_segment("PM10"),
        "PM2.5": unchanged_segment("PM2.5").map(lambda v: max(v, 1.0)),
    }
)


@settings(max_examples=300, deadline=None)
@given(rounded_rows)
def test_2012_and_2026_agree_on_unchanged_breakpoints_with_rounded_inputs(row):
    old = aqi.compute(as_arrays(row), standard="HJ633-2012", period="day")
    new = aqi.compute(as_arrays(row), standard="HJ633-2026", period="day")
    np.testing.assert_array_equal(old.iaqi, new.iaqi)
    assert old.aqi[0] == new.aqi[0] and old.level[0] == new.level[0]
    np.testing.assert_array_equal(old.primary, new.primary)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 600, allow_nan=False), min_size=1, max_size=50))
def test_vectorised_rows_equal_row_by_row(values):
    array = np.array(values)
    together = aqi.compute({"PM2.5": array}, standard="HJ633-2026", period="hour").aqi
    alone = [aqi.compute({"PM2.5": np.array([v])}, standard="HJ633-2026", period="hour").aqi[0] for v in values]
    assert together.tolist() == alone
