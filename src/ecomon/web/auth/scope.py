"""The one place that limits data to what a principal may see; every data query composes these conditions.

Rules (enforced in SQL, never in the UI):
- a user with a region_code sees sites whose region is that region or below it (region_descendants);
- an enterprise user sees only the outlets of their enterprise and no ambient sites;
- the public sees the outlets of enterprises that disclose their emissions, released data only;
- public users and anonymous callers see active sites only, and only released observations (review_state = 3)
  that quality control did not withhold (QARTOD 4 fail, 9 missing are never published);
- staff see preliminary data too; responses carry review_state so it is labelled.
"""

from __future__ import annotations

from ecomon.web.auth.principal import Principal

RELEASED = 3
WITHHELD_QC = (4, 9)


def site_condition(p: Principal, alias: str = "s") -> tuple[str, list[object]]:
    """SQL condition on a `site` row aliased `alias`."""
    if p.role == "enterprise":
        return "false", []
    clauses: list[str] = []
    args: list[object] = []
    if p.released_only:
        clauses.append(f"{alias}.state = 'active'")
    if p.region_code is not None:
        clauses.append(f"{alias}.region_code IN (SELECT region_descendants(%s))")
        args.append(p.region_code)
    return (" AND ".join(clauses) or "true"), args


def outlet_condition(p: Principal, alias: str = "o") -> tuple[str, list[object]]:
    """SQL condition on an `outlet` row aliased `alias`.

    An enterprise user sees its own outlets; regional staff the outlets of enterprises in their region; the public
    only active outlets of enterprises that disclose (disclosure_setting, 企业事业单位环境信息公开办法 art. 9).
    """
    if p.role == "enterprise":
        return f"{alias}.enterprise_id = %s", [p.enterprise_id]
    if p.released_only:
        return (f"{alias}.state = 'active' AND {alias}.enterprise_id IN "
                "(SELECT enterprise_id FROM disclosure_setting WHERE disclosed)"), []
    if p.region_code is not None:
        return (f"{alias}.enterprise_id IN (SELECT id FROM enterprise WHERE region_code IN "
                "(SELECT region_descendants(%s)))"), [p.region_code]
    return "true", []


def series_condition(p: Principal, alias: str = "se") -> tuple[str, list[object]]:
    """SQL condition on a `series` row aliased `alias`: its site, or its outlet, is visible."""
    site_sql, site_args = site_condition(p, "s_")
    outlet_sql, outlet_args = outlet_condition(p, "o_")
    sql = (f"({alias}.site_id IN (SELECT s_.id FROM site s_ WHERE {site_sql})"
           f" OR {alias}.outlet_id IN (SELECT o_.id FROM outlet o_ WHERE {outlet_sql}))")
    return sql, site_args + outlet_args


def release_condition(p: Principal, alias: str) -> tuple[str, list[object]]:
    """SQL condition on an observation-like row (`review_state`, `qc_flag`): released and valid for the public."""
    if p.released_only:
        return f"{alias}.review_state = %s AND {alias}.qc_flag <> ALL(%s)", [RELEASED, list(WITHHELD_QC)]
    return "true", []
