"""Gap, timeliness and completeness tests — QARTOD test 1 plus the GB 3095-2012 Table 4 coverage rule."""

from __future__ import annotations

import numpy as np

from ecomon.quality.flags import Flag, full
from ecomon.quality.rules._window import to_seconds


def time_gap_test(times: np.ndarray, fail_span: float) -> np.ndarray:
    """A point arriving more than `fail_span` seconds after the previous one is FAIL (ioos_qc time_gap_test).

    >>> time_gap_test(np.array([0, 3600, 7200, 18000]), 7200).tolist()
    [1, 1, 1, 4]
    """
    t = to_seconds(times)
    flags = full(t.size)
    if t.size > 1:
        flags[1:][np.diff(t) > fail_span] = Flag.FAIL
    return flags


def timeliness_test(times: np.ndarray, received: np.ndarray, suspect_delay: float, fail_delay: float,
                    future_tolerance: float = 60.0) -> np.ndarray:
    """Late delivery (received − time above the delays) and impossible future timestamps.

    A timestamp more than `future_tolerance` seconds after its reception time is FAIL (clock fault or forgery,
    ioos_qc impossible_date_test); a late record is SUSPECT/FAIL (ioos_qc data_reception_test).

    >>> timeliness_test(np.array([0, 0, 0, 500]), np.array([60, 4000, 90000, 100]), 3600, 86400).tolist()
    [1, 3, 4, 4]
    """
    t, r = to_seconds(times), to_seconds(received)
    if t.shape != r.shape:
        raise ValueError(f"received has shape {r.shape} but times have {t.shape}")
    delay = r - t
    flags = full(t.size)
    flags[delay > suspect_delay] = Flag.SUSPECT
    flags[(delay > fail_delay) | (delay < -future_tolerance)] = Flag.FAIL
    return flags


# GB 3095-2012 Table 4 (unchanged in GB 3095-2026): 1-hour mean valid with ≥ 45 min of sampling; 24-hour mean
# with ≥ 20 hourly means; 8-hour O3 with ≥ 6 hourly means. HJ 76-2017 Annex B: CEMS hour ≥ 45 valid minutes.
MIN_COVERAGE = {"1h_minutes": 45, "24h_hours": 20, "8h_hours": 6}


def coverage_test(counts: np.ndarray, minimum: int) -> np.ndarray:
    """An aggregate built from fewer than `minimum` valid samples is FAIL (invalid by the validity rule).

    >>> coverage_test(np.array([60, 45, 44]), MIN_COVERAGE["1h_minutes"]).tolist()
    [1, 1, 4]
    """
    c = np.asarray(counts)
    flags = full(c.size)
    flags[c < minimum] = Flag.FAIL
    return flags
