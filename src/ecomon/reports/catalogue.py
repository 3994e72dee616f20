"""The report kinds, their parameters, and one entry point that turns (kind, parameters) into queries and a
builder — shared by `ecomon report` and `GET /api/v1/reports/{kind}`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ecomon.reports import daily_air, ecology, monthly_air, noise, radiation, soil, sources, water
from ecomon.reports.fetch import Queries
from ecomon.reports.model import Report, Scopes
from ecomon.standards.rulesets import AQI_RULESETS, check_aqi_ruleset
from ecomon.web.i18n.reports import t

PARAMETERS = {
    "date": "YYYY-MM-DD（自然日 / local day）",
    "month": "YYYY-MM",
    "year": "YYYY",
    "from": "YYYY-MM-DD",
    "to": "YYYY-MM-DD",
    "rule_set": f"auto | {' | '.join(AQI_RULESETS)}",
}
KINDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # kind: (title key, required parameters, optional parameters)
    daily_air.KIND: ("report.daily.title", ("date",), ("rule_set",)),
    monthly_air.KIND: ("report.monthly_air.title", ("month",), ("rule_set",)),
    water.KIND: ("report.water.title", ("month",), ()),
    noise.KIND: ("report.noise.title", ("month",), ()),
    radiation.KIND: ("report.radiation.title", ("month",), ()),
    soil.KIND: ("report.soil.title", ("from", "to"), ()),
    ecology.KIND: ("report.ecology.title", ("year",), ()),
    sources.KIND: ("report.source.title", ("from", "to"), ()),
}
MAX_SOURCE_DAYS = 366
FIRST_YEAR, LAST_YEAR = 1900, 2200


@dataclass(frozen=True)
class Prepared:
    queries: Queries
    build: Callable[[dict[str, list[tuple]]], Report]


def catalogue(lang: str = "zh") -> list[dict]:
    return [{"kind": kind, "title": t(title, lang), "required": list(required), "optional": list(optional),
             "parameters": {p: PARAMETERS[p] for p in (*required, *optional)}, "formats": ["xlsx", "html"]}
            for kind, (title, required, optional) in KINDS.items()]


def within_years(day: dt.date, name: str) -> dt.date:
    """Refuse dates outside FIRST_YEAR..LAST_YEAR (monitoring data; keeps period arithmetic in range)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{name} must lie in the years {FIRST_YEAR}..{LAST_YEAR}")
    return day


def _date(params: Mapping[str, str | None], name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(str(params[name]))
    except ValueError:
        raise ValueError(f"{name} must be a date YYYY-MM-DD, not {params[name]!r}") from None
    return within_years(day, name)


def _year(params: Mapping[str, str | None]) -> int:
    text = str(params["year"])
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise ValueError(f"year must be YYYY, not {text!r}")
    return within_years(dt.date(int(text), 1, 1), "year").year


def prepare(kind: str, params: Mapping[str, str | None], tz: str, scopes: Scopes, lang: str = "zh") -> Prepared:
    """Validate the parameters of `kind`; ValueError (naming the parameter) on bad input or an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown report kind {kind!r}; expected one of {', '.join(KINDS)}")
    _, required, _ = KINDS[kind]
    missing = [name for name in required if not params.get(name)]
    if missing:
        raise ValueError(f"report {kind} needs {', '.join(missing)}")
    rule_text = params.get("rule_set") or "auto"
    rule = None if rule_text == "auto" else check_aqi_ruleset(rule_text)
    if kind == daily_air.KIND:
        day = _date(params, "date")
        return Prepared(daily_air.queries(day, tz, scopes, rule), lambda r: daily_air.build(day, r, rule, lang))
    if kind == monthly_air.KIND:
        month = within_years(monthly_air.parse_month(str(params["month"])), "month")
        return Prepared(monthly_air.queries(month, scopes, rule), lambda r: monthly_air.build(month, r, rule, lang))
    if kind == water.KIND:
        month = within_years(monthly_air.parse_month(str(params["month"])), "month")
        return Prepared(water.queries(month, tz, scopes), lambda r: water.build(month, r, lang))
    if kind in (noise.KIND, radiation.KIND):
        month = within_years(monthly_air.parse_month(str(params["month"])), "month")
        module = noise if kind == noise.KIND else radiation
        return Prepared(module.queries(month, scopes), lambda r: module.build(month, r, lang))
    if kind == ecology.KIND:
        year = _year(params)
        return Prepared(ecology.queries(year, scopes), lambda r: ecology.build(year, r, lang))
    first, last = _date(params, "from"), _date(params, "to")
    if last < first or (last - first).days >= MAX_SOURCE_DAYS:
        raise ValueError(f"from..to must be an ascending range of at most {MAX_SOURCE_DAYS} days")
    if kind == soil.KIND:
        return Prepared(soil.queries(first, last, scopes), lambda r: soil.build(first, last, r, lang))
    return Prepared(sources.queries(first, last, tz, scopes), lambda r: sources.build(first, last, r, tz, lang))
