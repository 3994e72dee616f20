"""GB 15618-2018 pH bands, screening/intervention values and categories; GB 36600-2018 land classes."""

import math

import numpy as np
import pytest

from ecomon.standards.soil import assess_agricultural, assess_construction, ph_band


@pytest.mark.parametrize(
    ("ph", "band"), [(4.0, 0), (5.5, 0), (5.51, 1), (6.5, 1), (6.51, 2), (7.5, 2), (7.51, 3), (np.nan, -1)]
)
def test_ph_band_edges_upper_bound_inclusive(ph, band):
    assert ph_band([ph])[0] == band


# Cd screening values: paddy 0.3/0.4/0.6/0.8, other 0.3/0.3/0.3/0.6 (GB 15618-2018 Table 1)
@pytest.mark.parametrize(
    ("ph", "land", "on_limit"),
    [
        (5.5, "paddy", 0.3),
        (6.0, "paddy", 0.4),
        (7.5, "paddy", 0.6),
        (8.0, "paddy", 0.8),
        (5.5, "other", 0.3),
        (6.5, "other", 0.3),
        (7.0, "other", 0.3),
        (7.51, "other", 0.6),
        (6.0, "orchard", 0.3),
    ],
)
def test_cd_screening_value_by_band_and_land(ph, land, on_limit):
    result = assess_agricultural({"Cd": [on_limit, on_limit * 1.5]}, [ph, ph], [land, land])
    assert result.category.tolist() == [0, 1]
    assert math.isnan(result.over_screening["Cd"][0])
    assert result.over_screening["Cd"][1] == pytest.approx(0.5)


def test_cu_uses_the_orchard_row_and_paddy_counts_as_other():
    result = assess_agricultural({"Cu": [120, 120, 120]}, [6.0] * 3, ["orchard", "paddy", "other"])
    assert result.category.tolist() == [0, 1, 1]  # orchard 150; other 50


def test_intervention_value_means_strict_control():
    # As intervention 200 / 150 / 120 / 100 falls with pH
    result = assess_agricultural({"As": [160, 160, 100]}, [5.0, 6.0, 8.0], "other")
    assert result.category.tolist() == [1, 2, 1]
    assert result.over_intervention["As"][1] == pytest.approx(10 / 150)


def test_missing_ph_or_metal_leaves_the_sample_unassessed():
    result = assess_agricultural({"Pb": [50, np.nan]}, [np.nan, 6.0], "other")
    assert result.category.tolist() == [-1, -1]


def test_unknown_land_use_is_refused():
    with pytest.raises(ValueError, match="'forest'"):
        assess_agricultural({"Pb": [50]}, [6.0], ["forest"])


@pytest.mark.parametrize(
    ("metal", "s1", "s2", "i1", "i2"),
    [
        ("As", 20, 60, 120, 140),
        ("Cd", 20, 65, 47, 172),
        ("Cr6", 3.0, 5.7, 30, 78),
        ("Cu", 2000, 18000, 8000, 36000),
        ("Pb", 400, 800, 800, 2500),
        ("Hg", 8, 38, 33, 82),
        ("Ni", 150, 900, 600, 2000),
    ],
)
def test_gb36600_screening_and_intervention_by_land_class(metal, s1, s2, i1, i2):
    values = [s1, s1 * 1.01, i1 * 1.01, s2, s2 * 1.01, i2 * 1.01]
    result = assess_construction({metal: values}, [1, 1, 1, 2, 2, 2])
    assert result.category.tolist() == [0, 1, 2, 0, 1, 2]


def test_gb36600_land_class_must_be_1_or_2():
    with pytest.raises(ValueError, match="1 or 2"):
        assess_construction({"Pb": [1]}, [3])
