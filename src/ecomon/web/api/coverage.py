"""Network coverage: a plan's construction targets against current site counts, and coverage-rule violations.

The same evaluation as `ecomon registry coverage` (registry/coverage.py). Staff only, region-scoped: a regional
user's counts come only from sites in their region (enforced in the query), and they see only the targets and rule
divisions that lie within their region, so every count shown is complete.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query

from ecomon.registry import catalogue, coverage
from ecomon.registry.cli import coverage_report_json
from ecomon.web.api.common import fetch_all
from ecomon.web.auth import Conn, Principal, Staff
from ecomon.web.auth.scope import site_condition
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/registry", tags=["registry"])


@lru_cache(maxsize=8)
def _plan(name: str) -> coverage.Plan:
    return coverage.bundled_plan(name)


def _within(principal: Principal, regions: catalogue.RegionTable, code: str) -> bool:
    return principal.region_code is None or principal.region_code in regions.ancestors(code)


@router.get("/coverage", summary="建设目标与覆盖规则核查 / construction targets vs current counts, rule violations")
async def network_coverage(
    principal: Staff,  # type: ignore[valid-type]
    conn: Conn,
    plan: Annotated[str, Query(pattern=r"^[a-z][a-z0-9-]{0,39}$",
                               description="bundled plan, e.g. qingyuan or chongqing")] = "qingyuan",
) -> dict:
    try:
        the_plan = _plan(plan)
    except FileNotFoundError as exc:
        raise ApiError(404, "unknown_plan", f"no bundled plan {plan!r}") from exc
    regions = catalogue.regions()
    scope, args = site_condition(principal, "s")
    rows = await fetch_all(
        conn, f"""SELECT s.element, s.site_type, s.control_level, s.region_code, s.state, count(*) AS n
                  FROM site s WHERE {scope} GROUP BY 1, 2, 3, 4, 5""", args)
    counts = [coverage.SiteCount(r["element"], r["site_type"], r["control_level"], r["region_code"], r["state"],
                                 r["n"]) for r in rows if r["region_code"] in regions]
    report = coverage.evaluate(the_plan.targets, the_plan.rules, counts, regions)
    visible = coverage.CoverageReport(
        tuple(t for t in report.targets if _within(principal, regions, t.target.region)),
        tuple(v for v in report.violations if _within(principal, regions, v.region)))
    body = coverage_report_json(the_plan, visible)
    return body | {"title_zh": the_plan.title_zh, "title_en": the_plan.title_en, "plan_region": the_plan.region,
                   "target_year": the_plan.target_year, "scope_region": principal.region_code}
