"""HJ 192-2015 ecological status index: the Nantong 2017 worked example and grade edges."""

import pytest

from ecomon.standards.ecology import change_words, ecological_index, grade_words


def test_nantong_2017_published_ei_67_97():
    ei = ecological_index(30.59, 76.93, 93.94, 6.08, 1.48)
    assert float(ei) == pytest.approx(67.97, abs=0.005)
    assert grade_words([ei])[0] == "良"


@pytest.mark.parametrize(
    ("ei", "grade"),
    [
        (75, "优"),
        (74.99, "良"),
        (55, "良"),
        (54.99, "一般"),
        (35, "一般"),
        (34.99, "较差"),
        (20, "较差"),
        (19.99, "差"),
        (float("nan"), ""),
    ],
)
def test_grade_edges(ei, grade):
    assert grade_words([ei])[0] == grade


def test_environmental_restriction_lowers_the_grade_but_not_below_the_worst():
    assert grade_words([80, 15], downgrade=1).tolist() == ["良", "差"]


@pytest.mark.parametrize(
    ("delta", "word"), [(0.99, "无明显变化"), (1, "略微变化"), (-3, "明显变化"), (8, "显著变化")]
)
def test_change_degree(delta, word):
    assert change_words([delta])[0] == word
