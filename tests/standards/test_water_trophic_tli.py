"""总站生字〔2001〕090号 comprehensive trophic level index TLI(Σ) and its grades."""

import math

import numpy as np
import pytest

from ecomon.standards.trophic import tli, tli_single, trophic_grade

# Worked example, computed by hand from the formulas: chla 10 mg/m³, TP 0.05, TN 1.0, SD 1.0 m, CODMn 4.
# TLI(chla) = 10(2.5 + 1.086 ln 10) = 50.006; TLI(TP) = 10(9.436 + 1.624 ln 0.05) = 45.709;
# TLI(TN) = 54.530; TLI(SD) = 51.180; TLI(CODMn) = 10(0.109 + 2.661 ln 4) = 37.979.
# Weights r²/Σr² = 0.2663, 0.1879, 0.1790, 0.1834, 0.1834 → TLI(Σ) = 48.018.
EXAMPLE = {"chla": [10.0], "TP": [0.05], "TN": [1.0], "SD": [1.0], "CODMn": [4.0]}


@pytest.mark.parametrize(
    ("parameter", "expected"),
    [("chla", 50.006), ("TP", 45.709), ("TN", 54.530), ("SD", 51.180), ("CODMn", 37.979)],
)
def test_single_parameter_tli(parameter, expected):
    assert tli_single(parameter, EXAMPLE[parameter])[0] == pytest.approx(expected, abs=1e-3)


def test_comprehensive_tli_worked_example():
    assert tli(EXAMPLE)[0] == pytest.approx(48.018, abs=1e-3)


def test_weights_renormalise_over_the_parameters_measured():
    # TP and TN only: (45.709·0.84² + 54.530·0.82²)/(0.84² + 0.82²) = 50.013
    assert tli({"TP": [0.05], "TN": [1.0], "chla": [np.nan]})[0] == pytest.approx(50.013, abs=1e-3)


def test_non_positive_values_have_no_tli():
    assert math.isnan(tli_single("TP", [0.0])[0])
    assert math.isnan(tli({"TP": [0.0]})[0])


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (29.99, "贫营养"),
        (30, "中营养"),
        (50, "中营养"),
        (50.01, "轻度富营养"),
        (60, "轻度富营养"),
        (60.01, "中度富营养"),
        (70, "中度富营养"),
        (70.01, "重度富营养"),
        (float("nan"), ""),
    ],
)
def test_trophic_grade_edges(value, grade):
    assert trophic_grade([value])[0] == grade
