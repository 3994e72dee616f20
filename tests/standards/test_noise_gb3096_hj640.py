"""GB 3096-2008 Table 1 zone limits (day/night) and HJ 640-2012 grade edges."""

import math

import numpy as np
import pytest

from ecomon.standards.noise import (
    compliance_rate,
    exceedance_db,
    hj640_grade,
    ldn,
    length_weighted_level,
    leq,
    night_sudden_compliant,
    period_of_hour,
    statistical_levels,
    zone_limit,
)

GB3096_TABLE_1 = [("0", 50, 40), ("1", 55, 45), ("2", 60, 50), ("3", 65, 55), ("4a", 70, 55), ("4b", 70, 60)]


@pytest.mark.parametrize(("zone", "day", "night"), GB3096_TABLE_1)
def test_zone_limits_day_and_night(zone, day, night):
    assert zone_limit([zone, zone], ["day", "night"]).tolist() == [day, night]


@pytest.mark.parametrize(("zone", "day", "night"), GB3096_TABLE_1)
def test_on_the_limit_complies_and_a_tenth_above_exceeds(zone, day, night):
    limit = zone_limit([zone] * 3, "night")
    assert exceedance_db([night, night + 0.1, night - 5], limit) == pytest.approx([0.0, 0.1, 0.0])


def test_unknown_zone_is_refused_by_name():
    with pytest.raises(ValueError, match="'5'"):
        zone_limit(["5"], "day")


def test_day_is_06_to_22():
    assert period_of_hour([5, 6, 21, 22, 0]).tolist() == ["night", "day", "day", "night", "night"]


def test_night_sudden_noise_may_exceed_the_limit_by_15_db():
    assert night_sudden_compliant([65, 65.1], ["2", "2"]).tolist() == [True, False]  # night limit 50


def grade_cases():
    table = {
        ("regional", "day"): (50, 55, 60, 65),
        ("regional", "night"): (40, 45, 50, 55),
        ("road", "day"): (68, 70, 72, 74),
        ("road", "night"): (58, 60, 62, 64),
    }
    for (kind, period), bounds in table.items():
        for grade, bound in enumerate(bounds, start=1):
            yield kind, period, bound, grade
            yield kind, period, bound + 0.1, grade + 1


@pytest.mark.parametrize(("kind", "period", "level", "grade"), list(grade_cases()))
def test_hj640_grade_edges(kind, period, level, grade):
    assert hj640_grade([level], kind, period)[0] == grade


def test_hj640_rounds_to_a_tenth_before_grading_and_skips_missing():
    assert hj640_grade([50.04, 50.06, np.nan], "regional", "day").tolist() == [1, 2, 0]


def test_leq_is_the_energy_mean():
    assert leq([60.0, 60.0]) == pytest.approx(60.0)
    assert leq([50.0, 60.0, np.nan]) == pytest.approx(10 * math.log10((1e5 + 1e6) / 2))  # 57.40


def test_ldn_weights_16_day_and_8_night_hours_with_a_10_db_penalty():
    assert ldn(60.0, 50.0) == pytest.approx(60.0)  # night + 10 = day level
    assert ldn(55.0, 45.0) == pytest.approx(55.0)


def test_statistical_levels_and_road_weighting_and_rates():
    levels = statistical_levels(np.arange(1, 101, dtype=float))
    assert levels["L10"] == pytest.approx(90.1) and levels["L90"] == pytest.approx(10.9)
    assert length_weighted_level([70, 66], [3, 1]) == pytest.approx(69.0)
    assert compliance_rate([True, True, False, True]) == 75.0
