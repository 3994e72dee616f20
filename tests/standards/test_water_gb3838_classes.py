"""GB 3838-2002 Table 1 single-factor classes, row by row, at, just below and just above every limit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomon.standards.water import class_labels, classify, item_class, status_words
from ecomon.standards.water_tables import CLASS_ITEMS_2011, LAKE, RIVER, TABLE_1

# (item, waterbody, class I..V limits) transcribed from GB 3838-2002 Table 1 for the test, independently of
# the module's table.
TABLE_1_ROWS = [
    ("CODMn", RIVER, (2, 4, 6, 10, 15)),
    ("COD", RIVER, (15, 15, 20, 30, 40)),
    ("BOD5", RIVER, (3, 3, 4, 6, 10)),
    ("NH3-N", RIVER, (0.15, 0.5, 1.0, 1.5, 2.0)),
    ("TP", RIVER, (0.02, 0.1, 0.2, 0.3, 0.4)),
    ("TP", LAKE, (0.01, 0.025, 0.05, 0.1, 0.2)),
    ("TN", LAKE, (0.2, 0.5, 1.0, 1.5, 2.0)),
    ("Cu", RIVER, (0.01, 1.0, 1.0, 1.0, 1.0)),
    ("Zn", RIVER, (0.05, 1.0, 1.0, 2.0, 2.0)),
    ("F", RIVER, (1.0, 1.0, 1.0, 1.5, 1.5)),
    ("Se", RIVER, (0.01, 0.01, 0.01, 0.02, 0.02)),
    ("As", RIVER, (0.05, 0.05, 0.05, 0.1, 0.1)),
    ("Hg", RIVER, (0.00005, 0.00005, 0.0001, 0.001, 0.001)),
    ("Cd", RIVER, (0.001, 0.005, 0.005, 0.005, 0.01)),
    ("Cr6", RIVER, (0.01, 0.05, 0.05, 0.05, 0.1)),
    ("Pb", RIVER, (0.01, 0.01, 0.05, 0.05, 0.1)),
    ("CN", RIVER, (0.005, 0.05, 0.2, 0.2, 0.2)),
    ("phenol", RIVER, (0.002, 0.002, 0.005, 0.01, 0.1)),
    ("petroleum", RIVER, (0.05, 0.05, 0.05, 0.5, 1.0)),
    ("LAS", RIVER, (0.2, 0.2, 0.2, 0.3, 0.3)),
    ("sulfide", RIVER, (0.05, 0.1, 0.2, 0.5, 1.0)),
    ("fecal_coliform", RIVER, (200, 2000, 10000, 20000, 40000)),
]
EPS = 1e-9


def boundary_cases():
    for item, body, limits in TABLE_1_ROWS:
        for k, limit in enumerate(limits, start=1):
            best = limits.index(limit) + 1  # shared limits: the better class
            yield pytest.param(item, body, limit, best, id=f"{item}-{body}-on-class{k}-limit")
            yield pytest.param(item, body, limit * (1 - EPS), best, id=f"{item}-{body}-below-class{k}-limit")
            above = next((j for j, lim in enumerate(limits, start=1) if lim > limit), 6)
            yield pytest.param(item, body, limit * (1 + EPS), above, id=f"{item}-{body}-above-class{k}-limit")


@pytest.mark.parametrize(("item", "body", "value", "expected"), list(boundary_cases()))
def test_table_1_limit_edges(item, body, value, expected):
    assert item_class(item, [value], body)[0] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7.5, 1),
        (7.5 - EPS, 2),
        (6, 2),
        (6 - EPS, 3),
        (5, 3),
        (5 - EPS, 4),
        (3, 4),
        (3 - EPS, 5),
        (2, 5),
        (2 - EPS, 6),
        (12.0, 1),
        (0.0, 6),
    ],
)
def test_dissolved_oxygen_is_a_minimum_so_lower_is_worse(value, expected):
    assert item_class("DO", [value])[0] == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(6.0, 1), (9.0, 1), (7.2, 1), (6 - EPS, 6), (9 + EPS, 6), (5.5, 6), (0, 6)]
)
def test_ph_6_to_9_for_every_class_else_inferior_v(value, expected):
    assert item_class("pH", [value])[0] == expected


def test_tp_0_2_is_class_iii_in_a_river_but_class_v_in_a_lake():
    assert list(item_class("TP", [0.2, 0.2], np.array([RIVER, LAKE]))) == [3, 5]


def test_literal_examples_nh3n():
    values = [0.15, 0.16, 0.5, 1.0, 1.5, 2.0, 2.01]
    assert list(class_labels(item_class("NH3-N", values))) == ["I", "II", "II", "III", "IV", "V", "劣V"]


def test_sample_class_is_the_worst_item_and_names_the_determining_items():
    result = classify({"pH": [7.2, 5.5], "DO": [5.5, 8], "NH3-N": [0.4, 0.1]})
    assert list(class_labels(result.water_class)) == ["III", "劣V"]
    determining = [
        [item for i, item in enumerate(result.items) if result.determining[i, row]] for row in (0, 1)
    ]
    assert determining == [["DO"], ["pH"]]


def test_ties_list_every_item_at_the_worst_class():
    result = classify({"DO": [5.5], "NH3-N": [0.8], "COD": [12]})
    assert result.water_class[0] == 3
    assert [item for i, item in enumerate(result.items) if result.determining[i, 0]] == ["DO", "NH3-N"]


def test_missing_values_are_skipped_and_an_empty_sample_has_no_class():
    result = classify({"DO": [np.nan, np.nan], "NH3-N": [1.2, np.nan]})
    assert list(result.water_class) == [4, 0]
    assert list(class_labels(result.water_class)) == ["IV", ""]
    assert not result.determining[:, 1].any()


def test_2011_method_leaves_tn_and_fecal_coliform_out_of_the_class():
    samples = {"NH3-N": [0.1], "TN": [5.0], "fecal_coliform": [100000]}
    assert classify(samples).water_class[0] == 1
    assert classify(samples, items=("NH3-N", "TN", "fecal_coliform")).water_class[0] == 6
    assert len(CLASS_ITEMS_2011) == 21 and "TN" not in CLASS_ITEMS_2011


@pytest.mark.parametrize(
    ("klass", "word"),
    [(1, "优"), (2, "优"), (3, "良好"), (4, "轻度污染"), (5, "中度污染"), (6, "重度污染"), (0, "")],
)
def test_status_words_per_class(klass, word):
    assert status_words([klass])[0] == word


def _worsen(item, value, step):
    if item == "pH":
        return value + step if value >= 7.5 else value - step
    if TABLE_1[item].lower_is_worse:
        return max(value - step, 0.0)
    return value + step


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(
        st.sampled_from(CLASS_ITEMS_2011), st.floats(min_value=0, max_value=50, allow_nan=False), min_size=1
    ),
    target=st.data(),
    step=st.floats(min_value=0, max_value=50, allow_nan=False),
    lake=st.booleans(),
)
def test_worsening_any_concentration_never_improves_the_class(values, target, step, lake):
    body = LAKE if lake else RIVER
    item = target.draw(st.sampled_from(sorted(values)))
    before = classify({k: [v] for k, v in values.items()}, body).water_class[0]
    worse = dict(values, **{item: _worsen(item, values[item], step)})
    after = classify({k: [v] for k, v in worse.items()}, body).water_class[0]
    assert after >= before
