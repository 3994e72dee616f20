"""环办〔2011〕22号: exceedance multiples, main pollutants, period means, river status, drinking-water sources."""

import math

import numpy as np
import polars as pl
import pytest

from ecomon.standards.drinking_water import source_compliance
from ecomon.standards.water import (
    classify,
    exceedance_multiples,
    main_pollutants,
    meets_target,
    period_means,
)
from ecomon.standards.water_river import basin_status, proportion_status
from ecomon.standards.water_tables import LAKE


def test_exceedance_multiple_is_excess_over_the_reference_limit():
    multiples = exceedance_multiples({"NH3-N": [1.5, 0.9], "TP": [0.44, 0.1]}, 3)
    assert multiples["NH3-N"][0] == pytest.approx(0.5)  # (1.5 − 1.0)/1.0
    assert multiples["TP"][0] == pytest.approx(1.2)  # (0.44 − 0.2)/0.2, river class III
    assert math.isnan(multiples["NH3-N"][1]) and math.isnan(multiples["TP"][1])


def test_exceedance_multiple_uses_the_lake_tp_limit_and_a_per_sample_target():
    multiples = exceedance_multiples({"TP": [0.1, 0.1]}, np.array([2, 3]), LAKE)
    assert multiples["TP"] == pytest.approx([3.0, 1.0])  # (0.1 − 0.025)/0.025, (0.1 − 0.05)/0.05


def test_no_multiple_for_ph_and_do_nor_without_a_target():
    multiples = exceedance_multiples({"pH": [5], "DO": [1], "COD": [45]}, np.array([0]))
    assert set(multiples) == {"COD"} and math.isnan(multiples["COD"][0])


def test_compliance_with_the_target_class():
    assert list(meets_target([3, 4, 2], [3, 3, 3])) == [True, False, True]


def test_main_pollutants_rank_by_class_then_multiple_top_three_plus_toxic_metals():
    samples = {
        "DO": [1.0, 5.5],  # 劣V
        "NH3-N": [1.8, 0.4],  # V, multiple 0.8
        "COD": [35.0, 12],  # V, multiple 0.75
        "TP": [0.35, 0.1],  # V, multiple 0.75 (river)
        "BOD5": [5.0, 2],  # IV
        "Pb": [0.08, 0.005],  # V, multiple 0.6 — listed although not among the first three
    }
    assert main_pollutants(samples) == [("DO", "NH3-N", "COD", "Pb"), ()]


def test_period_class_uses_the_mean_of_the_period():
    df = pl.DataFrame(
        {
            "section": ["A", "A", "B"],
            "month": ["01", "01", "01"],
            "NH3-N": ["0.9", "1.3", "0.2"],
            "DO": [6.0, None, 7.0],
        }
    )
    means = period_means(df, ["section", "month"], ["NH3-N", "DO", "TP"])
    assert means["NH3-N"].to_list() == pytest.approx([1.1, 0.2])
    result = classify({c: means[c].to_numpy() for c in ("NH3-N", "DO")})
    assert list(result.water_class) == [4, 2]


def classes(good, middle, inferior):
    return [2] * good + [4] * middle + [6] * inferior


@pytest.mark.parametrize(
    ("sections", "status"),
    [
        (classes(9, 1, 0), "优"),  # I–III 90 %
        (classes(8, 2, 0), "良好"),  # 80 %
        (classes(15, 5, 0), "良好"),  # exactly 75 %
        (classes(14, 6, 0), "轻度污染"),  # 70 %, no 劣V
        (classes(14, 3, 3), "轻度污染"),  # 劣V 15 %
        (classes(14, 2, 4), "中度污染"),  # 劣V exactly 20 %
        (classes(12, 1, 7), "中度污染"),  # 劣V 35 %
        (classes(10, 2, 8), "重度污染"),  # 劣V exactly 40 %
    ],
)
def test_section_proportion_method_thresholds(sections, status):
    assert proportion_status(sections).status == status


def test_five_sections_use_the_proportion_method():
    result = basin_status([2, 2, 2, 2, 4], {"NH3-N": [0.1, 0.1, 0.1, 0.1, 1.2]})
    assert (result.method, result.status, result.share_good) == ("proportion", "良好", 80.0)


def test_fewer_than_five_sections_class_the_mean_of_the_sections():
    # means: NH3-N (0.4 + 0.6 + 2.3)/3 = 1.1 → IV → 轻度污染, although two of three sections are class II
    result = basin_status([2, 2, 6], {"NH3-N": [0.4, 0.5, 2.3], "DO": [8, 8, 8]})
    assert (result.method, result.status, result.sections) == ("mean", "轻度污染", 3)


def test_drinking_water_source_second_level_zone_needs_class_iii_and_table_2():
    samples = {"NH3-N": [0.8, 0.8, 0.3], "Fe": [0.2, 0.31, np.nan]}
    second = source_compliance(samples, protection_zone=2)
    assert list(second.compliant) == [True, False, True]
    assert list(second.failing["Fe"]) == [False, True, False]
    first = source_compliance(samples, protection_zone=1)  # class II: NH3-N ≤ 0.5
    assert list(first.compliant) == [False, False, True]
