"""D8 level shift: near the analyser's detection limit a change counts by its absolute size; PM2.5 and PM10
shifted together are judged jointly."""

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from ecomon.quality.detectors.neighbour_shift import (
    DETECTION_LIMIT,
    detect_neighbour_shift,
    detect_particle_shift,
)
from ecomon.quality.detectors.panel import HOUR, Panel, build_panels, neighbour_median, quantification_floor

DAYS, SHIFT_DAYS = 120, 14


def shifted(parameter: str, level: float, factor: float, seed: int = 3) -> tuple[Panel, np.ndarray]:
    """One station reading `factor` × its neighbours' median for the last 14 of 120 days (whole µg/m³)."""
    rng = np.random.default_rng(seed)
    hours = DAYS * 24
    diurnal = 1 + 0.3 * np.sin(np.arange(hours) * 2 * np.pi / 24)
    reference = np.round(level * diurnal * rng.lognormal(0, 0.15, hours))
    station = np.round(reference * rng.lognormal(0, 0.1, hours))
    station[-SHIFT_DAYS * 24:] = np.round(station[-SHIFT_DAYS * 24:] * factor)
    times = np.datetime64("2024-01-01T00:00:00") + np.arange(hours) * HOUR
    return Panel(parameter, times, ("S",), station[:, None]), reference[:, None]


def test_detection_limits_are_those_of_hj_654_in_micrograms():
    assert DETECTION_LIMIT["SO2"] == pytest.approx(5.24, abs=0.01)
    assert DETECTION_LIMIT["NO2"] == pytest.approx(3.76, abs=0.01)


@pytest.mark.parametrize("parameter", ["SO2", "NO2", "PM2.5"])
def test_a_clear_shift_well_above_the_detection_limit_is_found(parameter):
    events = detect_neighbour_shift(*shifted(parameter, 80, 0.6))
    assert [e.evidence["direction"] for e in events] == ["down"]


def test_low_so2_reading_a_few_micrograms_lower_is_not_a_shift():
    """SO2 at 20 µg/m³ reading 7 lower: ×0.65 as a ratio, but only about one detection limit in absolute terms."""
    assert not detect_neighbour_shift(*shifted("SO2", 20, 0.65))


def test_the_same_relative_change_without_a_detection_limit_is_a_shift():
    assert detect_neighbour_shift(*shifted("PM2.5", 20, 0.65))


def test_an_unshifted_series_raises_nothing():
    assert not detect_neighbour_shift(*shifted("SO2", 80, 1.0))


@pytest.fixture(scope="module")
def spring_pm(beijing):
    """PM2.5 and PM10 of March–April 2014: a month of history, then the last 12 days to shift."""
    return build_panels(beijing.filter((pl.col("time") >= datetime(2014, 2, 28, 16, tzinfo=UTC))
                                       & (pl.col("time") < datetime(2014, 4, 30, 16, tzinfo=UTC))
                                       & pl.col("parameter").is_in(["PM2.5", "PM10"])))


def particle_alarms(panels, coords, factors: dict[str, float], station: str = "Dingling"):
    changed = {}
    for p, pan in panels.items():
        values = pan.values.copy()
        values[1150:1440, pan.stations.index(station)] *= factors.get(p, 1.0)
        changed[p] = Panel(p, pan.times, pan.stations, values)
    refs = {p: neighbour_median(pan, coords) for p, pan in changed.items()}
    return [e for e in detect_particle_shift(changed["PM2.5"], changed["PM10"], refs["PM2.5"], refs["PM10"])
            if e.station == station]


def test_both_particle_fractions_lower_together_is_a_shift(spring_pm, coords):
    found = particle_alarms(spring_pm, coords, {"PM2.5": 0.65, "PM10": 0.65})
    assert [e.parameter for e in found] == [""] and found[0].evidence["direction"] == "down"


def test_one_particle_fraction_lower_is_not_a_joint_shift(spring_pm, coords):
    assert not particle_alarms(spring_pm, coords, {"PM10": 0.65})


def test_the_clean_spring_raises_no_joint_shift(spring_pm, coords):
    refs = {p: neighbour_median(pan, coords) for p, pan in spring_pm.items()}
    assert not detect_particle_shift(spring_pm["PM2.5"], spring_pm["PM10"], refs["PM2.5"], refs["PM10"])


def test_a_departure_dipping_under_its_limit_for_a_few_hours_is_one_episode():
    from ecomon.quality.detectors.neighbour_shift import _episodes
    signed_z = np.r_[np.zeros(800), np.full(400, 0.5)]  # one step at row 800, crossed at 1000 and again at 1100
    crossings = (np.array([1000, 1100]), np.array([1090, 1199]))
    [(onset, first, end)] = _episodes(crossings, signed_z, 240, 30)
    assert onset <= 800 and (first, end) == (1000, 1199)


def test_separate_departures_stay_separate_episodes():
    from ecomon.quality.detectors.neighbour_shift import _episodes
    signed_z = np.r_[np.zeros(800), np.full(200, 0.5), np.zeros(600), np.full(400, 0.5)]
    crossings = (np.array([900, 1700]), np.array([999, 1999]))
    first, second = _episodes(crossings, signed_z, 240, 30)
    assert first[2] == 999 and second[0] > first[2] and second[1:] == (1700, 1999)


def scattered(factor: float, day_scatter: float, seed: int = 5) -> tuple[Panel, np.ndarray]:
    """A station at 80 µg/m³ whose ratio to its neighbours wanders from day to day by `day_scatter` (log σ);
    the last 14 of 120 days are scaled by `factor`."""
    rng = np.random.default_rng(seed)
    hours = DAYS * 24
    reference = np.round(80 * rng.lognormal(0, 0.15, hours))
    day_ratio = np.repeat(rng.normal(0, day_scatter, DAYS), 24)
    station = reference * np.exp(day_ratio) * rng.lognormal(0, 0.1, hours)
    station[-SHIFT_DAYS * 24:] *= factor
    times = np.datetime64("2024-01-01T00:00:00") + np.arange(hours) * HOUR
    return Panel("PM2.5", times, ("S",), np.round(station)[:, None]), reference[:, None]


def test_a_step_is_judged_against_the_day_to_day_scatter_of_its_own_weeks():
    """×0.6 stands out on a station that tracks its neighbours closely, not on one that wanders ×1.8 a day."""
    calm = [detect_neighbour_shift(*scattered(0.6, 0.03, seed)) for seed in range(5)]
    assert all([e.evidence["direction"] for e in found] == ["down"] for found in calm)
    # on the wandering station a ×0.6 step is found only when the weather happens to deepen it (seed 2: ×0.29)
    assert sum(bool(detect_neighbour_shift(*scattered(0.6, 0.6, seed))) for seed in range(5)) <= 1


def few_high_days_lower() -> tuple[Panel, np.ndarray]:
    """The three highest days of the last 14 read ×0.3: the ratio of sums falls, the typical hour does not."""
    panel, reference = shifted("PM2.5", 80, 1.0)
    values = panel.values.copy()
    tail = values[-SHIFT_DAYS * 24:, 0]
    for d in (2, 7, 11):
        reference[-SHIFT_DAYS * 24 + 24 * d:-SHIFT_DAYS * 24 + 24 * d + 24, 0] *= 6
        tail[24 * d:24 * d + 24] *= 6 * 0.3
    return Panel("PM2.5", panel.times, panel.stations, values), reference


def test_a_ratio_carried_by_a_few_episodes_is_not_a_level_shift():
    """Condition 3 alone (the scatter test switched off): a gain change moves every hour, episodes do not."""
    panel, reference = few_high_days_lower()
    assert detect_neighbour_shift(panel, reference, spread_factor=0.0, typical_ratio=1.0)  # sums alone: alarm
    assert not detect_neighbour_shift(panel, reference, spread_factor=0.0)


def test_quantification_floor_is_three_detection_limits_or_ten_reporting_steps():
    fine = np.arange(0, 30, 0.29)  # the 2013 SO2 record: reported to 0.29 µg/m³
    assert quantification_floor("SO2", fine) == pytest.approx(3 * DETECTION_LIMIT["SO2"])
    assert quantification_floor("PM2.5", np.arange(0, 300, 1.0)) == 10.0


def test_finely_reported_so2_below_its_limit_of_quantification_is_not_judged():
    """12 µg/m³ reported to 0.29 µg/m³ is 40 reporting steps, but below 3 × the HJ 654 detection limit."""
    panel, reference = shifted("SO2", 12, 0.5)
    fine = Panel("SO2", panel.times, panel.stations, np.round(panel.values / 0.29) * 0.29)
    assert not detect_neighbour_shift(fine, np.round(reference / 0.29) * 0.29)
    assert detect_neighbour_shift(*shifted("PM2.5", 12, 0.5))  # the same series as PM2.5 is judged
