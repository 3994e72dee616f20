"""Writing the registry catalogues and sites into PostgreSQL (idempotent upserts, attributed)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import psycopg

from ecomon.registry.catalogue import Parameter, ParameterTable, RegionTable
from ecomon.registry.coverage import SiteCount


def load_regions(conn: psycopg.Connection, table: RegionTable) -> int:
    """Upsert validated GB/T 2260 regions, parents before children."""
    order = {"province": 0, "city": 1, "county": 2, "township": 3}
    rows = sorted(table.all, key=lambda r: order[r.level])
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO region (code, name_zh, name_en, level, parent_code) VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                   level = excluded.level, parent_code = excluded.parent_code""",
            [(r.code, r.name_zh, r.name_en or None, r.level, r.parent_code) for r in rows])
    return len(rows)


def load_parameters(conn: psycopg.Connection, table: ParameterTable) -> int:
    """Parameters keyed by HJ 212 code; the first catalogue row of a code gives its default medium and unit,
    every (code, medium) pair its stored unit."""
    defaults: dict[str, Parameter] = {}
    for p in table.all:
        defaults.setdefault(p.code, p)
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO parameter (code, name_zh, name_en, element, unit, legacy_code, decimals)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                   element = excluded.element, unit = excluded.unit, legacy_code = excluded.legacy_code,
                   decimals = excluded.decimals""",
            [(p.code, p.name_zh, p.name_en, p.element, p.unit, p.legacy_code, p.decimals)
             for p in defaults.values()])
        cur.executemany(
            """INSERT INTO parameter_unit (code, element, unit, decimals) VALUES (%s, %s, %s, %s)
               ON CONFLICT (code, element) DO UPDATE SET unit = excluded.unit, decimals = excluded.decimals""",
            [(p.code, p.element, p.unit, p.decimals) for p in table.all])
        cur.executemany(
            """INSERT INTO parameter_alias (alias, code) VALUES (%s, %s)
               ON CONFLICT (alias) DO UPDATE SET code = excluded.code""",
            [(alias, code) for alias, code in table.aliases.items() if alias != code.casefold()])
    return len(defaults)


def site_counts(conn: psycopg.Connection) -> list[SiteCount]:
    """Current registry counts in the shape the coverage evaluation takes."""
    rows = conn.execute(
        """SELECT element, site_type, control_level, region_code, state, count(*)
           FROM site GROUP BY 1, 2, 3, 4, 5""").fetchall()
    return [SiteCount(*row) for row in rows]


SITE_COLUMNS = ("code", "name_zh", "name_en", "element", "site_type", "control_level", "region_code", "lon", "lat",
                "operator", "state", "attrs")


def upsert_sites(conn: psycopg.Connection, rows: Iterable[dict[str, str]], user: str) -> tuple[int, int]:
    """Insert or update sites by code; a state change is recorded in the dated history. Returns (new, updated)."""
    new = updated = 0
    for r in rows:
        missing = [c for c in ("code", "name_zh", "element", "site_type", "control_level", "region_code")
                   if not (r.get(c) or "").strip()]
        if missing:
            raise ValueError(f"site {r.get('code') or '(no code)'}: missing {', '.join(missing)}")
        state = (r.get("state") or "active").strip()
        before = conn.execute("SELECT id, state FROM site WHERE code = %s", (r["code"],)).fetchone()
        site_id = conn.execute(
            """INSERT INTO site (code, name_zh, name_en, element, site_type, control_level, region_code, lon, lat,
                                 operator, state, updated_by, attrs)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                   attrs = site.attrs || excluded.attrs,
                   element = excluded.element, site_type = excluded.site_type,
                   control_level = excluded.control_level, region_code = excluded.region_code,
                   lon = excluded.lon, lat = excluded.lat, operator = excluded.operator, state = excluded.state,
                   updated_at = now(), updated_by = excluded.updated_by
               RETURNING id""",
            (r["code"], r["name_zh"], r.get("name_en") or None, r["element"], r["site_type"], r["control_level"],
             r["region_code"], _float(r.get("lon")), _float(r.get("lat")), r.get("operator") or None, state, user,
             _attrs(r)),
        ).fetchone()[0]
        if before is None or before[1] != state:
            conn.execute(
                """INSERT INTO site_state_history (site_id, state, valid_from, reason, changed_by)
                   VALUES (%s, %s, coalesce(%s::date, current_date), %s, %s)""",
                (site_id, state, r.get("state_since") or None, r.get("reason") or "registry file", user))
        new, updated = (new + 1, updated) if before is None else (new, updated + 1)
    return new, updated


def _attrs(row: dict[str, str]) -> str:
    """The optional `attrs` column: a JSON object of site attributes (zone class, land use …) merged into the
    stored ones, so evaluations read them from the registry."""
    text = (row.get("attrs") or "").strip() or "{}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"site {row.get('code')}: attrs is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"site {row.get('code')}: attrs must be a JSON object")  # noqa: TRY004 (bad file content)
    return json.dumps(value, ensure_ascii=False)


def _float(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None
