"""Stored results of the soil, noise, radiation and surface-water evaluations (`env_result`, migration 0013).

One row per element, site, period and rule set. Writers replace whole spans (every row of the element, its
periods and sites between two dates, whatever rule set they were stored under), so a revision that withdraws
inputs, or a site whose land use changed from farmland (GB 15618) to construction land (GB 36600), leaves no stale
row behind. Readers get SQL text (site aliased s, result aliased r), so the CLI and the async API run the same
statement under their own access scope.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

ELEMENTS = ("soil", "noise", "radiation", "water", "ecology")
FIELDS = ("inputs_valid", "inputs_expected", "verdict", "verdict_code", "compliant", "value", "detail",
          "review_state")
READ_COLUMNS = ("site_id", "code", "name_zh", "region_code", "region_name", "attrs", "period", "period_start",
                "rule_set", *FIELDS, "computed_at")


@dataclass(frozen=True)
class Result:
    """One evaluated period of one site, as stored."""

    site_id: int
    period: str
    period_start: dt.date
    rule_set: str
    inputs_valid: int
    inputs_expected: int | None = None
    verdict: str | None = None
    verdict_code: int | None = None
    compliant: bool | None = None
    value: float | None = None
    detail: dict[str, Any] | None = None
    review_state: int = 0


def replace(conn: psycopg.Connection, element: str, periods: Sequence[str], first: dt.date, last: dt.date,
            site_ids: Sequence[int] | None, results: Iterable[Result]) -> int:
    """Replace the stored rows of `element` with these periods, starting first..last, at these sites (all sites
    when None) by `results`. Returns rows written."""
    rows = [(element, r.site_id, r.period, r.period_start, r.rule_set, r.inputs_valid, r.inputs_expected,
             r.verdict, r.verdict_code, r.compliant, _finite(r.value), _json(r.detail or {}), r.review_state)
            for r in results]
    with conn.cursor() as cur:
        cur.execute(
            """DELETE FROM env_result WHERE element = %s AND period = ANY(%s) AND period_start BETWEEN %s AND %s
               AND (%s::bigint[] IS NULL OR site_id = ANY(%s))""",
            (element, list(periods), first, last, None if site_ids is None else list(site_ids),
             None if site_ids is None else list(site_ids)))
        cur.executemany(
            f"""INSERT INTO env_result (element, site_id, period, period_start, rule_set, {", ".join(FIELDS)})
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""", rows)
    return len(rows)


def query(element: str, periods: Sequence[str], first: dt.date, last: dt.date, scope_sql: str,
          scope_args: list[object]) -> tuple[str, list[object]]:
    """Stored rows (READ_COLUMNS) ordered by site code and period, limited by `scope_sql`: the condition on an
    evaluation result row aliased r that every stored result uses (`reports.model.Scopes.results`: the site is
    visible; for the public, every input released). Rows expose a NULL region_code, as site results do."""
    sql = f"""
        SELECT r.site_id, s.code, s.name_zh, s.region_code, g.name_zh, s.attrs, r.period, r.period_start,
               r.rule_set, {", ".join(f"r.{f}" for f in FIELDS)}, r.computed_at
        FROM (SELECT e.*, NULL::text AS region_code FROM env_result e) r JOIN site s ON s.id = r.site_id
        LEFT JOIN region g ON g.code = s.region_code
        WHERE r.element = %s AND r.period = ANY(%s) AND r.period_start BETWEEN %s AND %s AND {scope_sql}
        ORDER BY s.code, r.period_start, r.period"""
    return sql, [element, list(periods), first, last, *scope_args]


def as_dicts(rows: Iterable[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(READ_COLUMNS, row, strict=True)) for row in rows]


def _finite(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(_clean(detail), ensure_ascii=False, default=_plain, allow_nan=False)


def _clean(value: object) -> object:
    """NaN (a missing number in numpy results) as JSON null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return _finite(value) if isinstance(value, float) else value


def _plain(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
