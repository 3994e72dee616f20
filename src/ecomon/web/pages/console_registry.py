"""Registry pages: sites, enterprises, outlets and devices (list, add, edit, lifecycle with dated history) and
the construction-targets dashboard. Pages only read; the forms post JSON to /api/v1/registry (registry_admin).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.registry import catalogue, coverage
from ecomon.registry.vocabulary import vocabulary
from ecomon.web.api.registry_admin import REGION_OF, state_history
from ecomon.web.auth.principal import Principal
from ecomon.web.auth.scope import site_condition
from ecomon.web.i18n import language
from ecomon.web.pages.console_shell import Connection, ConsoleUser, page

router = APIRouter()
Kind = Literal["site", "enterprise", "outlet", "device"]
KINDS: Final = ("site", "enterprise", "outlet", "device")
PLANS: Final = ("qingyuan", "chongqing")

# Form fields: (name, input type, options key or None, only when registering)
FIELDS: Final[dict[str, tuple[tuple[str, str, str | None, bool], ...]]] = {
    "site": (("code", "text", None, True), ("name_zh", "text", None, False), ("name_en", "text", None, False),
             ("element", "select", "elements", True), ("site_type", "select", "site_types", False),
             ("control_level", "select", "control_levels", False), ("region_code", "select", "regions", False),
             ("lon", "number", None, False), ("lat", "number", None, False), ("operator", "text", None, False),
             ("target_class", "select", "water_classes", False), ("state", "select", "initial_states", True)),
    "enterprise": (("uscc", "text", None, True), ("name_zh", "text", None, False),
                   ("region_code", "select", "regions", False), ("industry", "text", None, False),
                   ("address", "text", None, False), ("lon", "number", None, False), ("lat", "number", None, False),
                   ("key_unit_level", "select", "key_unit_levels", False), ("key_unit_year", "int", None, False),
                   ("state", "select", "initial_states", True)),
    "outlet": (("enterprise_id", "select", "enterprises", True), ("code", "text", None, True),
               ("name_zh", "text", None, False), ("kind", "select", "outlet_kinds", True),
               ("lon", "number", None, False), ("lat", "number", None, False),
               ("emission_standard", "text", None, False), ("state", "select", "initial_states", True)),
    "device": (("mn", "text", None, True), ("password", "password", None, True),
               ("protocol_version", "select", "protocols", False), ("site_id", "select", "sites", False),
               ("outlet_id", "select", "outlets", False), ("vendor", "text", None, False),
               ("model", "text", None, False), ("state", "select", "initial_states", True)),
}


def _region_scope(p: Principal, expr: str) -> tuple[str, list[object]]:
    if p.region_code is None:
        return "true", []
    return f"{expr} IN (SELECT region_descendants(%s))", [p.region_code]


def list_query(kind: str, p: Principal) -> tuple[str, list[object]]:
    """Rows of one registry kind the principal may see, with the district they belong to."""
    if kind == "site":
        scope, args = site_condition(p, "x")
        return (f"""SELECT x.id, x.code, x.name_zh AS name, x.element || ' / ' || x.site_type AS kind_label,
                          r.name_zh AS district, x.state, x.updated_at, x.updated_by
                   FROM site x JOIN region r ON r.code = x.region_code WHERE {scope} ORDER BY x.code""", args)
    if kind == "enterprise":
        scope, args = _region_scope(p, "x.region_code")
        return (f"""SELECT x.id, x.uscc AS code, x.name_zh AS name, coalesce(x.industry, '') AS kind_label,
                          r.name_zh AS district, x.state, x.updated_at, x.updated_by
                   FROM enterprise x JOIN region r ON r.code = x.region_code WHERE {scope} ORDER BY x.name_zh""",
                args)
    if kind == "outlet":
        scope, args = _region_scope(p, "e.region_code")
        return (f"""SELECT x.id, x.code, e.name_zh || ' · ' || x.name_zh AS name, x.kind AS kind_label,
                          r.name_zh AS district, x.state, x.updated_at, x.updated_by
                   FROM outlet x JOIN enterprise e ON e.id = x.enterprise_id JOIN region r ON r.code = e.region_code
                   WHERE {scope} ORDER BY e.name_zh, x.code""", args)
    scope, args = _region_scope(p, "coalesce(s.region_code, e.region_code)")
    return (f"""SELECT x.id, x.mn AS code, coalesce(s.name_zh, e.name_zh || ' · ' || o.name_zh, '—') AS name,
                      'HJ 212-' || x.protocol_version AS kind_label, coalesce(r.name_zh, '—') AS district,
                      x.state, x.updated_at, x.updated_by
               FROM device x LEFT JOIN site s ON s.id = x.site_id LEFT JOIN outlet o ON o.id = x.outlet_id
               LEFT JOIN enterprise e ON e.id = o.enterprise_id
               LEFT JOIN region r ON r.code = coalesce(s.region_code, e.region_code)
               WHERE {scope} ORDER BY x.mn""", args)


async def _rows(conn: AsyncConnection, sql: str, args: list[object]) -> list[dict]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, args)
        return await cur.fetchall()


async def form_options(conn: AsyncConnection, p: Principal, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Choices of the select fields, limited to what the principal may reference."""
    vocab = vocabulary()
    zh = lang == "zh"
    region_scope, region_args = _region_scope(p, "code")
    site_scope, site_args = site_condition(p, "s")
    ent_scope, ent_args = _region_scope(p, "e.region_code")
    return {
        "elements": [(e.code, e.zh if zh else e.en) for e in vocab.elements],
        "site_types": [(t.code, f"{t.element} · {t.zh if zh else t.en}") for t in vocab.site_types],
        "control_levels": [(c.code, c.zh if zh else c.en) for c in vocab.control_levels],
        "key_unit_levels": [(c.code, c.zh if zh else c.en) for c in vocab.key_unit_levels],
        "outlet_kinds": [(k.code, k.zh if zh else k.en) for k in vocab.outlet_kinds],
        "initial_states": [(s.code, s.zh if zh else s.en) for s in vocab.states if s.initial],
        "water_classes": [(c, c) for c in ("I", "II", "III", "IV", "V")],
        "protocols": [("2017", "HJ 212-2017"), ("2025", "HJ 212-2025"), ("2005", "HJ/T 212-2005")],
        "regions": [(r["code"], f"{r['code']} {r['name_zh']}") for r in await _rows(
            conn, f"SELECT code, name_zh FROM region WHERE level IN ('city', 'county', 'township') AND {region_scope} "
                  "ORDER BY code", region_args)],
        "sites": [(str(r["id"]), f"{r['code']} {r['name_zh']}") for r in await _rows(
            conn, f"SELECT s.id, s.code, s.name_zh FROM site s WHERE {site_scope} ORDER BY s.code", site_args)],
        "enterprises": [(str(r["id"]), r["name_zh"]) for r in await _rows(
            conn, f"SELECT e.id, e.name_zh FROM enterprise e WHERE {ent_scope} ORDER BY e.name_zh", ent_args)],
        "outlets": [(str(r["id"]), f"{r['ename']} · {r['code']}") for r in await _rows(
            conn, f"""SELECT o.id, o.code, e.name_zh AS ename FROM outlet o JOIN enterprise e ON e.id = o.enterprise_id
                      WHERE {ent_scope} ORDER BY e.name_zh, o.code""", ent_args)],
    }


@router.get("/registry/{kind}", response_class=HTMLResponse)
async def registry_list(kind: Kind, request: Request, principal: ConsoleUser, conn: Connection,
                        state: Annotated[str | None, Query(max_length=16)] = None) -> HTMLResponse:
    sql, args = list_query(kind, principal)
    rows = await _rows(conn, sql, args)
    if state:
        rows = [row for row in rows if row["state"] == state]
    return page(request, principal, "console/registry_list.html", {
        "kind": kind, "kinds": KINDS, "rows": rows, "state": state, "fields": FIELDS[kind],
        "options": await form_options(conn, principal, language(request)),
        "states": [s.code for s in vocabulary().states]})


@router.get("/registry/{kind}/{entity_id}", response_class=HTMLResponse)
async def registry_edit(kind: Kind, entity_id: Annotated[int, Path(ge=1, le=2**62)], request: Request,
                        principal: ConsoleUser, conn: Connection) -> HTMLResponse:
    sql, args = list_query(kind, principal)
    listed = await _rows(conn, f"SELECT * FROM ({sql}) v WHERE v.id = %s", [*args, entity_id])
    region = await (await conn.execute(REGION_OF[kind], (entity_id,))).fetchone()
    if not listed or region is None:
        return page(request, principal, "console/not_found.html", {"what": f"{kind} {entity_id}"}, status_code=404)
    record = (await _rows(conn, f"SELECT * FROM {kind} WHERE id = %s", [entity_id]))[0]
    record.pop("password_hash", None)
    current = record["state"]
    onward = [t for t in vocabulary().transitions if t.from_state == current]
    return page(request, principal, "console/registry_edit.html", {
        "kind": kind, "row": listed[0], "record": record, "fields": FIELDS[kind],
        "options": await form_options(conn, principal, language(request)), "transitions": onward,
        "history": await state_history(conn, kind, entity_id)})


@router.get("/coverage", response_class=HTMLResponse)
async def coverage_page(request: Request, principal: ConsoleUser, conn: Connection,
                        plan: Annotated[Literal["qingyuan", "chongqing"], Query()] = "qingyuan") -> HTMLResponse:
    """Construction targets of a city plan against the current registry (the sites the principal can see)."""
    chosen = coverage.bundled_plan(plan)
    scope, args = site_condition(principal, "s")
    counts = [coverage.SiteCount(*row) for row in await (await conn.execute(
        f"""SELECT s.element, s.site_type, s.control_level, s.region_code, s.state, count(*)
            FROM site s WHERE {scope} GROUP BY 1, 2, 3, 4, 5""", args)).fetchall()]
    regions = catalogue.regions()
    counts = [c for c in counts if c.region in regions]
    report = coverage.evaluate(chosen.targets, chosen.rules, counts, regions)
    return page(request, principal, "console/coverage.html", {
        "plan": chosen, "plans": PLANS, "report": report, "region_name": lambda code: regions[code].name_zh})
