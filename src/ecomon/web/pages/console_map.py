"""The overview of the console: every visible site with the colour of its current state of the environment.

Air stations are coloured by their real-time AQI level (HJ 633-2012 §5 Table 2 colours, the same computation as
the public portal, preliminary values included and labelled), surface-water sections by their class of the latest
month with data (GB 3838-2002 single-factor method), and every other site — and any site not in operation — by
its lifecycle state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.config import get_settings
from ecomon.evaluation import water_sections
from ecomon.web.auth.principal import Principal
from ecomon.web.auth.scope import site_condition
from ecomon.web.pages.air_now import air_now

NO_DATA: Final = "#9E9E9E"
# Conventional map colours of water classes I … 劣V (as in the national surface-water bulletins).
WATER_COLOURS: Final = {1: "#3BA8E6", 2: "#1F6FD1", 3: "#25A244", 4: "#F5C400", 5: "#F28A1B", 6: "#D7263D"}
STATE_COLOURS: Final = {"planned": "#B0BEC5", "building": "#8D6E63", "active": "#2E7D32",
                        "suspended": "#FF8F00", "retired": "#424242"}

_SITES = """SELECT s.id, s.code, s.name_zh, coalesce(s.name_en, s.code) AS name_en, s.element, s.site_type,
                   s.state, s.lon, s.lat, s.region_code, r.name_zh AS region_zh,
                   coalesce(r.name_en, r.name_zh) AS region_en
            FROM site s JOIN region r ON r.code = s.region_code
            WHERE {scope} AND (%s::text IS NULL OR s.region_code IN (SELECT region_descendants(%s)))
            ORDER BY s.code"""


@dataclass(frozen=True)
class MapSite:
    code: str
    name: str
    element: str
    state: str
    district: str
    lon: float | None
    lat: float | None
    colour: str
    status: str          # what the colour means: "AQI 87 良", "III 类", or the state
    preliminary: bool


async def visible_sites(conn: AsyncConnection, principal: Principal, district: str | None = None) -> list[dict]:
    """Sites the principal may see (scope enforced in SQL), optionally within one district."""
    scope, args = site_condition(principal, "s")
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_SITES.format(scope=scope), [*args, district, district])
        return await cur.fetchall()


async def districts(conn: AsyncConnection, principal: Principal) -> list[dict]:
    """Districts (the regions sites are registered in) the principal can filter by."""
    scope, args = site_condition(principal, "s")
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(f"""SELECT DISTINCT r.code, r.name_zh, coalesce(r.name_en, r.name_zh) AS name_en
                              FROM site s JOIN region r ON r.code = s.region_code WHERE {scope} ORDER BY r.code""",
                          args)
        return await cur.fetchall()


async def water_classes(conn: AsyncConnection, principal: Principal) -> dict[str, tuple[int, str]]:
    """Site code -> (class code 1–6, label) for the latest month with water data the principal may see."""
    scope, args = site_condition(principal, "s")
    row = await (await conn.execute(
        f"""SELECT max(l.t) FROM latest_value l JOIN series se ON se.id = l.series_id
            JOIN site s ON s.id = se.site_id WHERE s.element = 'water' AND {scope}""", args)).fetchone()
    if row is None or row[0] is None:
        return {}
    local = row[0].astimezone(dt.timezone(dt.timedelta(hours=8)))
    sql, sql_args = water_sections.month_query(dt.date(local.year, local.month, 1), get_settings().timezone,
                                               scope, args)
    table = water_sections.classify_sections(await (await conn.execute(sql, sql_args)).fetchall())
    if not table.height:
        return {}
    return {code: (int(cls), label) for code, cls, label in table.select("code", "class_code", "class").iter_rows()
            if cls}


async def map_sites(conn: AsyncConnection, principal: Principal, lang: str,
                    district: str | None = None) -> tuple[list[MapSite], str]:
    """The sites of the overview with colour and status; also the local time of the AQI shown."""
    sites = await visible_sites(conn, principal, district)
    now = await air_now(conn)
    aqi = {s.code: s for s in now.stations}
    water = await water_classes(conn, principal) if any(s["element"] == "water" for s in sites) else {}
    zh = lang == "zh"
    out = []
    for s in sites:
        colour, status, preliminary = STATE_COLOURS.get(s["state"], NO_DATA), s["state"], False
        if s["state"] == "active" and s["element"] == "air" and s["code"] in aqi:
            station = aqi[s["code"]]
            level = station.level
            colour = level.hex if level else NO_DATA
            status = f"AQI {station.aqi} {level.category_zh if zh else level.category_en}" if level else "AQI —"
            preliminary = station.preliminary
        elif s["state"] == "active" and s["element"] == "water" and s["code"] in water:
            code, label = water[s["code"]]
            colour, status = WATER_COLOURS[code], label
        out.append(MapSite(s["code"], s["name_zh"] if zh else s["name_en"], s["element"], s["state"],
                           s["region_zh"] if zh else s["region_en"], s["lon"], s["lat"], colour, status,
                           preliminary))
    return out, now.local_time
