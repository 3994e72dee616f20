"""Unit conversion: exact scale factors, GB 3095 reference-state gas conversion, compass directions."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomon.registry.catalogue import parameters
from ecomon.registry.units import UnitError, compass_to_degrees, convert, molar_volume_l


def test_beijing_co_in_ug_per_m3_becomes_mg_per_m3():
    np.testing.assert_allclose(convert([300.0, 1200.0, np.nan], "µg/m³", "mg/m³"), [0.3, 1.2, np.nan])


def test_ascii_and_greek_mu_spellings_are_accepted():
    np.testing.assert_allclose(convert([1.0], "ug/m3", "ng/m3"), [1000.0])
    np.testing.assert_allclose(convert([1.0], "\u03bcg/L", "mg/L"), [0.001])


def test_beijing_pressure_in_hpa_becomes_the_hj212_kpa():
    np.testing.assert_allclose(convert([1023.0, 1013.25], "hPa", "kPa"), [102.3, 101.325])


@pytest.mark.parametrize(("value", "source", "target", "expected"), [
    (0.0, "°C", "K", 273.15), (100.0, "°C", "°F", 212.0), (-40.0, "°F", "°C", -40.0),
    (25.0, "°C", "°C", 25.0),
])
def test_temperatures_are_affine(value, source, target, expected):
    assert convert([value], source, target)[0] == pytest.approx(expected)


def test_reference_state_molar_volume_is_24_465():
    assert molar_volume_l() == pytest.approx(24.465, abs=5e-4)


# Reference factors at 298.15 K, 101.325 kPa (µg/m³ per ppb), printed to 3 decimals.
@pytest.mark.parametrize(("code", "factor"), [
    ("a21026", 2.619), ("a21004", 1.880), ("a05024", 1.962), ("a21003", 1.227), ("a21005", 1.145),
])
def test_one_ppb_at_the_gb3095_reference_state(code, factor):
    molar_mass = parameters().get(code, "air").molar_mass
    assert convert([1.0], "ppb", "µg/m³", molar_mass=molar_mass)[0] == pytest.approx(factor, abs=1e-3)


def test_one_ppm_co_is_1_145_mg_per_m3():
    assert convert([1.0], "ppm", "mg/m³", molar_mass=28.010)[0] == pytest.approx(1.145, abs=1e-3)


def test_flue_gas_standard_state_uses_273_15_k():
    # 22.414 L/mol at 273.15 K: 1 ppm SO2 = 64.066 / 22.414 = 2.858 mg/m³
    value = convert([1.0], "ppm", "mg/m³", molar_mass=64.066, temperature_k=273.15)[0]
    assert value == pytest.approx(2.858, abs=1e-3)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=20),
       st.sampled_from([("ppb", "µg/m³"), ("ppm", "mg/m³"), ("hPa", "kPa"), ("°C", "°F"), ("L/s", "m³/h")]))
def test_round_trip_returns_the_input(values, pair):
    there = convert(values, *pair, molar_mass=46.006)
    back = convert(there, pair[1], pair[0], molar_mass=46.006)
    np.testing.assert_allclose(back, values, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(("source", "target", "words"), [
    ("µg/m³", "mg/L", "cannot convert"),
    ("hPa", "°C", "cannot convert"),
    ("furlong", "m", "unknown unit 'furlong'"),
    ("ppb", "µg/m³", "needs the gas's molar mass"),
])
def test_unknown_or_incompatible_units_are_refused(source, target, words):
    with pytest.raises(UnitError, match=words):
        convert([1.0], source, target)


def test_16_point_compass():
    points = "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split()
    np.testing.assert_array_equal(compass_to_degrees(points), np.arange(16) * 22.5)
    assert compass_to_degrees(["nnw"])[0] == 337.5


def test_missing_and_calm_have_no_direction():
    result = compass_to_degrees(np.array([["N", None], ["cv", ""]], dtype=object))
    assert result.shape == (2, 2) and result[0, 0] == 0.0
    assert np.isnan(result[0, 1]) and np.isnan(result[1, 0]) and np.isnan(result[1, 1])
    assert compass_to_degrees(["C"], calm=0.0)[0] == 0.0


def test_unknown_direction_names_value_and_position():
    with pytest.raises(UnitError, match=r"'NA' at position 2 is not a 16-point compass direction"):
        compass_to_degrees(["N", "E", "NA"])
