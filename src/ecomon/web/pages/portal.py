"""Public portal (no login): real-time AQI map and ranking, one page per station with its last 24 hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from psycopg import AsyncConnection

from ecomon.standards.aqi_tables import LEVELS, SEVERITY_CEILINGS
from ecomon.web.dbpool import connection
from ecomon.web.i18n import language
from ecomon.web.pages.air_now import StationAqi, air_now, last_24h
from ecomon.web.pages.templating import render

router = APIRouter(include_in_schema=False)
Connection = Annotated[AsyncConnection, Depends(connection)]

NO_DATA_COLOUR = "#9E9E9E"
_FLOORS = (0, *(ceiling + 1 for ceiling in SEVERITY_CEILINGS))
LEGEND = tuple((level, f"{low}–{high}" if high else f">{low - 1}")
               for level, low, high in zip(LEVELS, _FLOORS, (*SEVERITY_CEILINGS, None)))


def _marker(station: StationAqi, lang: str) -> dict:
    """What the map script needs for one station (serialised with |tojson, never pasted into JS)."""
    level = station.level
    return {
        "code": station.code,
        "name": station.name_zh if lang == "zh" else station.name_en,
        "lon": station.lon, "lat": station.lat, "aqi": station.aqi,
        "colour": level.hex if level else NO_DATA_COLOUR,
        "category": (level.category_zh if lang == "zh" else level.category_en) if level else None,
        "preliminary": station.preliminary,
    }


def _ranked(stations: tuple[StationAqi, ...]) -> list[StationAqi]:
    return sorted(stations, key=lambda s: (s.aqi is None, s.aqi if s.aqi is not None else 0, s.code))


@router.get("/", response_class=HTMLResponse)
async def portal_home(request: Request, conn: Connection) -> HTMLResponse:
    now = await air_now(conn)
    markers = [_marker(s, language(request)) for s in now.stations if s.lon is not None and s.lat is not None]
    return render(request, "portal/index.html",
                  {"now": now, "ranking": _ranked(now.stations), "markers": markers, "legend": LEGEND})


@router.get("/station/{code}", response_class=HTMLResponse)
async def portal_station(code: str, request: Request, conn: Connection) -> HTMLResponse:
    now = await air_now(conn, code)
    if not now.stations:
        return render(request, "portal/unknown.html", {"code": code}, status_code=404)
    chart = await last_24h(conn, code, now.t) if now.t else None
    return render(request, "portal/station.html", {"now": now, "station": now.stations[0], "chart": chart})
