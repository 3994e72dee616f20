"""Ambient gamma dose rate: station baseline, mean + 3σ investigation level, local background range."""

import pytest

from ecomon.standards.radiation import above_investigation_level, background_verdict, baseline


def test_baseline_and_investigation_level():
    base = baseline([80.0, 82.0, 84.0, float("nan")])
    assert (base.mean, base.sd, base.count) == (82.0, 2.0, 3)
    assert base.investigation_level() == 88.0
    assert base.investigation_level(2) == 86.0


def test_readings_above_mean_plus_3_sigma():
    assert above_investigation_level([88.0, 88.1, float("nan")], 82.0, 2.0).tolist() == [False, True, False]


def test_beijing_background_range_60_2_to_119_9():
    verdicts = background_verdict([60.2, 119.9, 120.0, 60.1, float("nan")], 60.2, 119.9)
    assert verdicts.tolist() == ["正常", "正常", "偏高", "偏低", ""]


def test_a_baseline_needs_two_readings():
    with pytest.raises(ValueError):
        baseline([80.0])
