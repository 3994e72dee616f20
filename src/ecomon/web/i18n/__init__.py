"""Every user-facing string of the console and portal, Chinese first (the default) with English.

Each area keeps its strings in its own module of this package; they are merged here.

The language comes from `?lang=zh|en` (remembered in a cookie) or the cookie alone; anything else is Chinese.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request, Response

from ecomon.web.i18n import console, opendata, portal, quality, reports


def _merge(*tables: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """One table for all areas (each area keeps its strings in its own module); a key defined twice is a bug."""
    merged: dict[str, tuple[str, str]] = {}
    for table in tables:
        clash = merged.keys() & table.keys()
        if clash:
            raise RuntimeError(f"i18n keys defined twice: {sorted(clash)}")
        merged.update(table)
    return merged


LANGS: Final = ("zh", "en")
COOKIE: Final = "ecomon_lang"

STRINGS: Final[dict[str, tuple[str, str]]] = _merge(portal.STRINGS, console.STRINGS, quality.STRINGS,
                                                  reports.STRINGS, opendata.STRINGS)

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
