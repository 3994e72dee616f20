"""Sites: list (JSON or GeoJSON) with element/type/region/state/location filters, one site by id or code."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ecomon.web.api.common import fetch_page, visible_site
from ecomon.web.api.filters import SiteFilters
from ecomon.web.auth import Caller, Conn
from ecomon.web.auth.scope import site_condition

router = APIRouter(prefix="/sites", tags=["sites"])

COLUMNS = ("id, code, name_zh, name_en, element, site_type, control_level, region_code, lon, lat, operator, state,"
           " target_class, updated_at")
SITE_COLS = {"element": "s.element", "region": "s.region_code", "lon": "s.lon", "lat": "s.lat",
             "site_type": "s.site_type", "state": "s.state"}


class SiteQuery(SiteFilters):
    format: Literal["json", "geojson"] = "json"


@router.get("", summary="站点列表 / monitoring sites (JSON or GeoJSON)")
async def list_sites(q: Annotated[SiteQuery, Query()], principal: Caller,
                     conn: Conn) -> dict:
    """Public callers see active sites only; regional users their region and below; enterprise users none."""
    where, args = q.where(SITE_COLS)
    scope, scope_args = site_condition(principal, "s")
    page = await fetch_page(conn, f"SELECT {COLUMNS} FROM site s WHERE {where} AND {scope} ORDER BY s.code",
                            [*args, *scope_args], q)
    return _geojson(page) if q.format == "geojson" else page


def _geojson(page: dict) -> dict:
    features = [{"type": "Feature", "id": row["id"],
                 "geometry": None if row["lon"] is None else {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                 "properties": {k: v for k, v in row.items() if k not in ("lon", "lat")}}
                for row in page["results"]]
    return {"type": "FeatureCollection", "meta": page["meta"], "features": features}


@router.get("/{site}", summary="站点 / one site by id or code")
async def get_site(site: str, principal: Caller,
                   conn: Conn) -> dict:
    row = await visible_site(conn, principal, site)
    return {k: row[k] for k in COLUMNS.replace(" ", "").split(",")}
