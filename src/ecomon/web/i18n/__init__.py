"""Every user-facing string of the console and portal, Chinese first (the default) with English.

The language comes from `?lang=zh|en` (remembered in a cookie) or the cookie alone; anything else is Chinese.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request, Response

LANGS: Final = ("zh", "en")
COOKIE: Final = "ecomon_lang"

STRINGS: Final[dict[str, tuple[str, str]]] = {
    "site_title": ("生态环境监测公众服务", "Environmental monitoring public portal"),
    "portal_heading": ("实时空气质量", "Real-time air quality"),
    "data_time": ("数据时间", "Data time"),
    "data_time_note": ("演示数据为历史数据，此处“实时”指库中最新一小时。",
                       "The demo data are historical: “real time” means the latest stored hour."),
    "no_data": ("暂无数据", "No data"),
    "station": ("站点", "Station"),
    "district": ("区县", "District"),
    "rank": ("排名", "Rank"),
    "aqi": ("AQI", "AQI"),
    "level": ("级别", "Level"),
    "category": ("类别", "Category"),
    "primary_pollutant": ("首要污染物", "Primary pollutant"),
    "health_effects": ("对健康影响情况", "Health effects"),
    "advice": ("建议采取的措施", "Recommended measures"),
    "ranking": ("站点排名（AQI 由低到高）", "Station ranking (AQI, best first)"),
    "map": ("站点地图", "Station map"),
    "preliminary": ("预发布", "preliminary"),
    "preliminary_note": ("标“预发布”的数据为实时自动监测结果，未经审核，仅供参考。",
                         "Values marked “preliminary” are real-time automatic results, not yet reviewed."),
    "withheld_note": ("经质控判定无效的数据不予发布。", "Data found invalid by quality control are not published."),
    "released": ("已发布", "released"),
    "last_24h": ("最近 24 小时浓度", "Concentrations, last 24 hours"),
    "standard": ("评价依据", "Standard"),
    "back": ("返回地图", "Back to the map"),
    "legend": ("图例", "Legend"),
    "switch_lang": ("English", "中文"),
    "hour_values": ("小时值", "Hourly values"),
    "time": ("时间", "Time"),
    "unknown_station": ("未找到该站点", "Unknown station"),
    "aqi_basis": ("实时 AQI：SO2、NO2、CO、O3 为 1 小时值，O3 另计 8 小时滑动平均，PM10、PM2.5 为 24 小时滑动平均。",
                  "Real-time AQI: 1-h SO2, NO2, CO, O3, the O3 8-h moving mean and 24-h moving means of PM10, PM2.5."),
}

POLLUTANT_LABELS: Final[dict[str, str]] = {
    "SO2": "SO₂", "NO2": "NO₂", "CO": "CO", "O3": "O₃", "PM10": "PM₁₀", "PM2.5": "PM₂.₅",
}


def language(request: Request) -> str:
    """The requested language: query parameter first, then the cookie, else Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGS else "zh"


def remember(request: Request, response: Response, lang: str) -> None:
    """Keep an explicit `?lang=` choice for later pages."""
    if request.query_params.get("lang") == lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")


def translator(lang: str):
    """`t(key)` for templates: the string in `lang`; an unknown key is a programming error."""
    index = LANGS.index(lang)

    def t(key: str) -> str:
        return STRINGS[key][index]

    return t
