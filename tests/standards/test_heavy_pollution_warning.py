"""Heavy-pollution warning levels (MEE 2017 grading and the 2018-guidance city plans)."""

import numpy as np
import pytest

from ecomon.standards.heavy_pollution import episodes, level_for


@pytest.mark.parametrize(
    ("series", "mee_2017", "guidance_2018"),
    [
        ([150, 201, 150], 1, 0),            # one day > 200: blue (dropped after 2018)
        ([201, 250, 150], 2, 2),            # 2 days: yellow
        ([201, 250, 260], 2, 3),            # 3 days without > 300: yellow (2017) / orange (2018)
        ([201, 301, 260], 3, 3),            # 3 days with one > 300: orange
        ([201, 301, 260, 220], 3, 3),       # 4 days, one > 300: still orange
        ([201, 301, 310, 220], 4, 4),       # 4 days, two > 300: red
        ([500], 4, 4),                      # AQI reaches 500: red
        ([200, 200, 200], 0, 0),            # exactly 200 is not heavy pollution
    ],
)
def test_levels_of_both_gradings(series, mee_2017, guidance_2018):
    assert max((e.level for e in episodes(np.array(series, float), "MEE-2017")), default=0) == mee_2017
    assert max((e.level for e in episodes(np.array(series, float), "guidance-2018")), default=0) == guidance_2018


def test_episodes_are_runs_of_days_above_200():
    found = episodes(np.array([250, 260, 100, 210, np.nan, 230, 240, 250.0]))
    assert [(e.start, e.stop, e.level) for e in found] == [(0, 2, 2), (3, 4, 1), (5, 8, 2)]


def test_unknown_scheme_is_rejected():
    with pytest.raises(ValueError, match="unknown warning scheme"):
        level_for(3, 1, False, "Beijing-2013")
