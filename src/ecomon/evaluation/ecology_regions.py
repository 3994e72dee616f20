"""Ecological status index (HJ 192-2015) of the regions whose yearly sub-indices are stored.

An ecology site (`element` ecology, one per county or city assessed) holds one value per year of each sub-index
under the ecomon-local codes x03002–x03006 (HJ 212 defines none; `registry/data/parameters.csv`) and, where an
environmental restriction applies, x03007 as the number of grades it lowers the result. The EI of a year is
computed from the last valid value of each sub-index dated in that local year, rounded and graded as
`ecomon eval ecology` does (`standards.cli_ecology`), with the change against the year before when that is stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import numpy as np

from ecomon.evaluation.env_results import Result
from ecomon.standards import ecology
from ecomon.standards.cli_ecology import EI_DECIMALS

SUB_INDICES: dict[str, str] = {
    "x03002": "biological_abundance", "x03003": "vegetation_cover", "x03004": "water_network",
    "x03005": "land_stress", "x03006": "pollution_load",
}
RESTRICTION = "x03007"
RULE_SET = "HJ192-2015"


def year_query(first_year: int, last_year: int, tz: str, scope_sql: str, scope_args: list[object]
               ) -> tuple[str, list[object]]:
    """The last valid value per ecology site, year and sub-index, first_year - 1 (for the change) .. last_year."""
    zone = ZoneInfo(tz)
    lo = dt.datetime(first_year - 1, 1, 1, tzinfo=zone)
    hi = dt.datetime(last_year + 1, 1, 1, tzinfo=zone)
    sql = f"""
        SELECT DISTINCT ON (s.id, 2, se.parameter_code)
               s.id, extract(year FROM o.t AT TIME ZONE %s)::integer, se.parameter_code, o.value, o.review_state
        FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
        WHERE s.element = 'ecology' AND se.parameter_code = ANY(%s) AND o.value IS NOT NULL
          AND o.qc_flag NOT IN (4, 9) AND o.t >= %s AND o.t < %s AND {scope_sql}
        ORDER BY s.id, 2, se.parameter_code, o.t DESC"""
    return sql, [tz, [*SUB_INDICES, RESTRICTION], lo, hi, *scope_args]


def year_results(rows: list[tuple], first_year: int, last_year: int) -> list[Result]:
    """One result per site and year first_year..last_year that has any stored sub-index."""
    values: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    review: dict[tuple[int, int], int] = {}
    for site_id, year, code, value, review_state in rows:
        values[(site_id, year)][code] = value
        review[(site_id, year)] = min(review.get((site_id, year), review_state), review_state)
    eis = {key: _ei(v) for key, v in values.items()}
    results = []
    for (site_id, year), stored in sorted(values.items()):
        if not first_year <= year <= last_year:
            continue
        present = [code for code in SUB_INDICES if code in stored]
        detail: dict[str, object] = {name: stored.get(code) for code, name in SUB_INDICES.items()}
        ei = eis[(site_id, year)]
        grade = code_ = None
        if ei is not None:
            downgrade = int(stored.get(RESTRICTION, 0))
            code_ = int(ecology.grade_index(ei, downgrade))
            grade = ecology.GRADES[code_]
            detail["downgrade"] = downgrade
            previous = eis.get((site_id, year - 1))
            if previous is not None:
                delta = round(ei - previous, EI_DECIMALS) + 0.0
                detail.update(previous_ei=previous, delta_ei=delta, change=str(ecology.change_words(delta)),
                              trend=("" if abs(delta) < ecology.CHANGE_BOUNDS[0] else "变好" if delta > 0 else "变差"))
        else:
            detail["missing"] = [name for code, name in SUB_INDICES.items() if code not in stored]
        results.append(Result(site_id, "year", dt.date(year, 1, 1), RULE_SET, len(present), len(SUB_INDICES),
                              grade, code_, None, ei, detail, review[(site_id, year)]))
    return results


def _ei(stored: dict[str, float]) -> float | None:
    if any(code not in stored for code in SUB_INDICES):
        return None
    ei = ecology.ecological_index(**{name: stored[code] for code, name in SUB_INDICES.items()})
    return float(np.round(ei, EI_DECIMALS))
