"""HJ 633-2012 / HJ 633-2026 Table 1: IAQI at, just below and just above every breakpoint of every column.

The table is typed here again from the standards (not imported), and the expected IAQI is computed with exact
fractions, so a slip in the engine's table or its floating-point ceiling shows up.
"""

from fractions import Fraction
from math import ceil

import numpy as np
import pytest

from ecomon.standards.aqi import iaqi, round_gbt8170

IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
TABLE_2012 = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "O3_8h": (0, 100, 160, 215, 265, 800),
    "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}
TABLE_2026 = {**TABLE_2012, "PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
              "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500)}
TABLES = {"HJ633-2012": TABLE_2012, "HJ633-2026": TABLE_2026}


def exact_iaqi(concentration: Fraction, points: tuple[int, ...]) -> int:
    """Table 1 formula with exact arithmetic, rounded up (both versions)."""
    for i in range(1, len(points)):
        if concentration <= points[i]:
            lo, hi = points[i - 1], points[i]
            return ceil(Fraction(IAQI[i] - IAQI[i - 1], hi - lo) * (concentration - lo) + IAQI[i - 1])
    raise AssertionError("above table")


def step(column: str) -> Fraction:
    """Smallest step of a 2026-rounded input: 0.1 mg/m³ for CO, 1 µg/m³ otherwise."""
    return Fraction(1, 10) if column.startswith("CO") else Fraction(1)


CASES = [
    (standard, column, index)
    for standard, table in TABLES.items()
    for column, points in table.items()
    for index in range(len(points))
]


@pytest.mark.parametrize(("standard", "column", "index"), CASES,
                         ids=[f"{s}-{c}-IAQI{IAQI[i]}" for s, c, i in CASES])
def test_iaqi_at_and_around_each_breakpoint(standard, column, index):
    points = TABLES[standard][column]
    at = iaqi(np.array([float(points[index])]), column, standard)[0]
    assert at == IAQI[index]
    delta = step(column)
    if index > 0:
        below = Fraction(points[index]) - delta
        assert iaqi(np.array([float(below)]), column, standard)[0] == exact_iaqi(below, points)
        assert exact_iaqi(below, points) <= IAQI[index]
    if index < len(points) - 1:
        above = Fraction(points[index]) + delta
        got = iaqi(np.array([float(above)]), column, standard)[0]
        assert got == exact_iaqi(above, points)
        assert got > IAQI[index]


@pytest.mark.parametrize("standard", TABLES)
@pytest.mark.parametrize("column", ["SO2_24h", "NO2_1h", "CO_24h", "PM10_24h", "PM2.5_24h", "O3_1h"])
def test_every_tenth_of_the_scale_matches_exact_formula(standard, column):
    points = TABLES[standard][column]
    grid = [Fraction(k, 10) for k in range(0, points[-1] * 10 + 1, max(1, points[-1] // 50))]
    got = iaqi(np.array([float(c) for c in grid]), column, standard)
    assert list(got) == [exact_iaqi(c, points) for c in grid]


@pytest.mark.parametrize(
    ("column", "concentration", "iaqi_2012", "iaqi_2026"),
    [
        ("PM2.5_24h", 35, 50, 50),
        ("PM2.5_24h", 35.1, 51, 51),
        ("PM2.5_24h", 60, 82, 100),
        ("PM2.5_24h", 75, 100, 114),
        ("PM10_24h", 120, 85, 100),
        ("PM10_24h", 150, 100, 112),
        ("O3_8h", 200, 137, 137),
        ("CO_24h", 3.0, 75, 75),
        ("SO2_24h", 65, 58, 58),
    ],
)
def test_worked_examples_of_both_versions(column, concentration, iaqi_2012, iaqi_2026):
    value = np.array([concentration])
    assert iaqi(value, column, "HJ633-2012")[0] == iaqi_2012
    assert iaqi(value, column, "HJ633-2026")[0] == iaqi_2026


def test_ceiling_not_half_up_rounding():
    # PM2.5 40 (2012): 50 + 50/40 × 5 = 56.25 → 57, where half-up rounding would give 56.
    assert iaqi(np.array([40.0]), "PM2.5_24h", "HJ633-2012")[0] == 57


def test_floating_point_exact_results_are_not_pushed_up():
    # CO 2.4 mg/m³: 50 + 25 × 0.4 = 60 exactly, though 2.4 − 2 is not exact in binary.
    assert iaqi(np.array([2.4, 2.8, 3.6]), "CO_24h", "HJ633-2012").tolist() == [60, 70, 90]


@pytest.mark.parametrize("standard", TABLES)
def test_above_top_of_a_full_column_is_500(standard):
    assert iaqi(np.array([500.1, 900.0]), "PM2.5_24h", standard).tolist() == [500, 500]


def test_2012_so2_1h_above_800_has_no_iaqi_of_its_own():
    assert np.isnan(iaqi(np.array([801.0]), "SO2_1h", "HJ633-2012")[0])


def test_2026_so2_1h_above_800_is_200():
    assert iaqi(np.array([801.0, 5000.0]), "SO2_1h", "HJ633-2026").tolist() == [200, 200]


def test_2012_o3_8h_above_800_has_no_iaqi_of_its_own():
    assert np.isnan(iaqi(np.array([801.0]), "O3_8h", "HJ633-2012")[0])


def test_2026_o3_8h_above_800_is_300():
    assert iaqi(np.array([801.0, 2000.0]), "O3_8h", "HJ633-2026").tolist() == [300, 300]


def test_missing_concentration_gives_missing_iaqi():
    assert np.isnan(iaqi(np.array([np.nan]), "NO2_24h", "HJ633-2026")[0])


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (34.5, 0, 34), (35.5, 0, 36), (36.5, 0, 36), (35.51, 0, 36), (35.49, 0, 35), (0.5, 0, 0),
        (0.15, 1, 0.2), (0.25, 1, 0.2), (0.35, 1, 0.4), (2.05, 1, 2.0), (2.15, 1, 2.2), (2.151, 1, 2.2),
        (2.249, 1, 2.2),
    ],
)
def test_gbt8170_rounds_exact_halves_to_even(value, decimals, expected):
    assert round_gbt8170(np.array([value]), decimals)[0] == pytest.approx(expected, abs=1e-12)
