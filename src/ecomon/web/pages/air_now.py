"""The public "now" of air quality: real-time AQI per station at the latest stored hour, and 24-h series.

Only publishable values are read: QARTOD fail (4) and missing (9) are withheld and never shown; values not yet
released (review_state < 3) are shown but labelled preliminary (预发布). "Now" is the latest hour stored for the
AQI pollutants — the demo data are historical, so it is shown with its time, never taken from the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.standards import aqi
from ecomon.standards.aqi_tables import Level
from ecomon.standards.rulesets import AqiRuleSet, aqi_ruleset_on

LOCAL_TZ: Final = ZoneInfo("Asia/Shanghai")

# HJ 212-2017 factor codes of the six AQI pollutants -> HJ 633 pollutant names.
AQI_PARAMETERS: Final[dict[str, str]] = {
    "a21026": "SO2", "a21004": "NO2", "a21005": "CO", "a05024": "O3", "a34002": "PM10", "a34004": "PM2.5",
}
RELEASED: Final = 3
WITHHELD_QC: Final = (4, 9)
# GB 3095-2012 §8.2 Table 4 (污染物浓度数据有效性的最低要求): an 8-h mean needs at least 6 hourly values,
# a 24-h mean at least 20.
MIN_HOURS_8H: Final = 6
MIN_HOURS_24H: Final = 20

_PUBLISHABLE = "o.value IS NOT NULL AND o.qc_flag <> ALL(%(withheld)s)"

_LATEST_HOUR = """
    SELECT max(l.t) FROM latest_value l
    JOIN series s ON s.id = l.series_id JOIN site ON site.id = s.site_id
    WHERE s.interval_kind = 'hour' AND s.parameter_code = ANY(%(codes)s) AND site.element = 'air'"""

_WINDOW_STATS = f"""
    SELECT s.site_id, s.parameter_code,
           max(o.value) FILTER (WHERE o.t = %(t)s) AS v1h,
           min(o.review_state) FILTER (WHERE o.t = %(t)s) AS r1h,
           avg(o.value) FILTER (WHERE o.t > %(t)s - interval '8 hours') AS v8h,
           count(*) FILTER (WHERE o.t > %(t)s - interval '8 hours') AS n8h,
           min(o.review_state) FILTER (WHERE o.t > %(t)s - interval '8 hours') AS r8h,
           avg(o.value) AS v24h, count(*) AS n24h, min(o.review_state) AS r24h
    FROM series s JOIN observation o ON o.series_id = s.id
    WHERE s.interval_kind = 'hour' AND s.parameter_code = ANY(%(codes)s) AND s.site_id IS NOT NULL
      AND o.t > %(t)s - interval '24 hours' AND o.t <= %(t)s AND {_PUBLISHABLE}
    GROUP BY s.site_id, s.parameter_code"""

_SITES = """
    SELECT site.id, site.code, site.name_zh, coalesce(site.name_en, site.code) AS name_en, site.lon, site.lat,
           site.region_code, r.name_zh AS region_zh, coalesce(r.name_en, r.name_zh) AS region_en
    FROM site JOIN region r ON r.code = site.region_code
    WHERE site.element = 'air' AND site.state = 'active' AND (%(code)s::text IS NULL OR site.code = %(code)s)
    ORDER BY site.code"""


@dataclass(frozen=True)
class StationAqi:
    code: str
    name_zh: str
    name_en: str
    lon: float | None
    lat: float | None
    region_zh: str
    region_en: str
    aqi: int | None
    level: Level | None
    primary: tuple[str, ...]
    preliminary: bool
    """Some value behind this AQI is not yet released (预发布)."""


@dataclass(frozen=True)
class AirNow:
    t: dt.datetime | None
    """The latest stored hour (end of the averaging hour, UTC); None when nothing is stored."""
    standard: AqiRuleSet | None
    stations: tuple[StationAqi, ...]

    @property
    def local_time(self) -> str:
        return self.t.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:00") if self.t else ""


async def air_now(conn: AsyncConnection, site_code: str | None = None) -> AirNow:
    """Real-time AQI (HJ 633 实时报) of every active air station at the latest stored hour."""
    codes = list(AQI_PARAMETERS)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_SITES, {"code": site_code})
        sites = await cur.fetchall()
        await cur.execute(_LATEST_HOUR, {"codes": codes})
        t = (await cur.fetchone())["max"]
        if t is None:
            return AirNow(None, None, tuple(_station(s, None, None, (), False) for s in sites))
        await cur.execute(_WINDOW_STATS, {"codes": codes, "t": t, "withheld": list(WITHHELD_QC)})
        stats = await cur.fetchall()
    standard = aqi_ruleset_on(t.astimezone(LOCAL_TZ).date())
    columns, unreleased = _concentrations(sites, stats)
    result = aqi.compute(columns, standard=standard, period="hour")
    stations = []
    for row, site in enumerate(sites):
        value = result.aqi[row]
        if np.isnan(value):
            stations.append(_station(site, None, None, (), False))
            continue
        level = aqi.level_info(int(result.level[row]), standard)
        primary = tuple(dict.fromkeys(p for p, on in zip(result.pollutants, result.primary[row]) if on))
        used = {p for p, v in zip(result.pollutants, result.iaqi[row]) if not np.isnan(v)}
        stations.append(_station(site, int(value), level, primary, bool(used & unreleased[row])))
    return AirNow(t, standard, tuple(stations))


def _concentrations(sites: list[dict], stats: list[dict]) -> tuple[dict[str, np.ndarray], list[set[str]]]:
    """AQI input columns per station (NaN where missing or too few hours), and unreleased pollutants per row."""
    row_of = {site["id"]: index for index, site in enumerate(sites)}
    names = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5", "O3_8h", "SO2_24h", "PM10_24h", "PM2.5_24h")
    columns = {name: np.full(len(sites), np.nan) for name in names}
    unreleased: list[set[str]] = [set() for _ in sites]
    for stat in stats:
        row = row_of.get(stat["site_id"])
        if row is None:
            continue
        pollutant = AQI_PARAMETERS[stat["parameter_code"]]
        windows = [(pollutant, stat["v1h"], 1, stat["r1h"])]
        if pollutant == "O3":
            windows.append(("O3_8h", stat["v8h"], stat["n8h"] >= MIN_HOURS_8H, stat["r8h"]))
        if pollutant in ("SO2", "PM10", "PM2.5"):
            windows.append((f"{pollutant}_24h", stat["v24h"], stat["n24h"] >= MIN_HOURS_24H, stat["r24h"]))
        for column, value, enough, review in windows:
            if value is not None and enough:
                columns[column][row] = value
                if review < RELEASED:
                    unreleased[row].add(pollutant)
    return columns, unreleased


def _station(site: dict, value: int | None, level: Level | None, primary: tuple[str, ...],
             preliminary: bool) -> StationAqi:
    return StationAqi(site["code"], site["name_zh"], site["name_en"], site["lon"], site["lat"], site["region_zh"],
                      site["region_en"], value, level, primary, preliminary)


_DAY_SERIES = f"""
    SELECT s.parameter_code, o.t, o.value, o.review_state
    FROM site JOIN series s ON s.site_id = site.id JOIN observation o ON o.series_id = s.id
    WHERE site.code = %(code)s AND s.interval_kind = 'hour' AND s.parameter_code = ANY(%(codes)s)
      AND o.t > %(t)s - interval '24 hours' AND o.t <= %(t)s AND {_PUBLISHABLE}
    ORDER BY o.t"""


async def last_24h(conn: AsyncConnection, site_code: str, t: dt.datetime) -> dict:
    """Hourly values of the AQI pollutants over the 24 h ending at `t`, ready for the chart.

    Withheld hours are null (a gap, never a value); each point says whether it is preliminary.
    """
    hours = [t - dt.timedelta(hours=h) for h in range(23, -1, -1)]
    index = {hour: i for i, hour in enumerate(hours)}
    series = {name: [None] * len(hours) for name in AQI_PARAMETERS.values()}
    preliminary = {name: [False] * len(hours) for name in AQI_PARAMETERS.values()}
    async with conn.cursor() as cur:
        await cur.execute(_DAY_SERIES, {"code": site_code, "codes": list(AQI_PARAMETERS), "t": t,
                                        "withheld": list(WITHHELD_QC)})
        for code, when, value, review in await cur.fetchall():
            name, i = AQI_PARAMETERS[code], index[when]
            series[name][i] = value
            preliminary[name][i] = review < RELEASED
    return {"hours": [h.astimezone(LOCAL_TZ).strftime("%m-%d %H:00") for h in hours],
            "series": series, "preliminary": preliminary}
