"""Jinja2 set-up shared by the portal and console: autoescaping always on, strings from `i18n`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ecomon.web import i18n

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parents[1] / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_env.filters["pollutant_label"] = lambda name: i18n.POLLUTANT_LABELS.get(name, name)
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page in the request's language, remembering an explicit language choice."""
    lang = i18n.language(request)
    other = "en" if lang == "zh" else "zh"
    response = templates.TemplateResponse(
        request, name, {**context, "lang": lang, "other_lang": other, "t": i18n.translator(lang)},
        status_code=status_code)
    i18n.remember(request, response, lang)
    return response
