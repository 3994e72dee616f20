"""Public pages of released results: enterprise emission disclosure and surface-water section classes.

Disclosure follows 企业事业单位环境信息公开办法 (MEP Order No. 31, 2014), art. 9: key pollutant-discharge units
publish their outlets and monitored emissions. Only enterprises whose disclosure is switched on
(`disclosure_setting`) appear, with the newest released value of each outlet series (review_state = 3, not
withheld by QC) against the outlet's permitted limit. Water sections are classified per GB 3838-2002 from
released data only (evaluation.water_sections).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from psycopg import AsyncConnection

from ecomon.config import get_settings
from ecomon.evaluation import water_sections
from ecomon.web.auth.scope import RELEASED, WITHHELD_QC
from ecomon.web.dbpool import connection
from ecomon.web.pages.air_now import LOCAL_TZ
from ecomon.web.pages.templating import render

router = APIRouter(include_in_schema=False)
Connection = Annotated[AsyncConnection, Depends(connection)]

_DISCLOSED = """
    SELECT e.id, e.name_zh, e.uscc, e.industry, r.name_zh AS region, o.code, o.name_zh AS outlet, o.kind,
           o.emission_standard, o.limits ->> se.parameter_code AS limit_value,
           se.parameter_code, p.name_zh AS parameter, coalesce(pu.unit, p.unit) AS unit, lv.t, lv.value
    FROM disclosure_setting d JOIN enterprise e ON e.id = d.enterprise_id JOIN region r ON r.code = e.region_code
    JOIN outlet o ON o.enterprise_id = e.id AND o.state = 'active'
    LEFT JOIN (series se JOIN latest_value lv ON lv.series_id = se.id
                          AND lv.review_state = %s AND lv.qc_flag <> ALL(%s) AND lv.value IS NOT NULL
               JOIN parameter p ON p.code = se.parameter_code)
           ON se.outlet_id = o.id AND se.interval_kind = 'hour'
    LEFT JOIN parameter_unit pu ON pu.code = se.parameter_code AND pu.element = o.kind
    WHERE d.disclosed
    ORDER BY e.name_zh, o.code, se.parameter_code"""


@dataclass
class OutletValue:
    parameter: str
    unit: str
    time: str
    value: float
    limit: float | None

    @property
    def exceeds(self) -> bool:
        return self.limit is not None and self.value > self.limit


@dataclass
class DisclosedOutlet:
    code: str
    name: str
    kind: str
    standard: str | None
    values: list[OutletValue] = field(default_factory=list)


@dataclass
class DisclosedEnterprise:
    name: str
    uscc: str
    industry: str | None
    region: str
    outlets: dict[str, DisclosedOutlet] = field(default_factory=dict)


async def disclosed_enterprises(conn: AsyncConnection) -> list[DisclosedEnterprise]:
    rows = await (await conn.execute(_DISCLOSED, (RELEASED, list(WITHHELD_QC)))).fetchall()
    out: dict[int, DisclosedEnterprise] = {}
    for (eid, name, uscc, industry, region, code, outlet, kind, standard, limit, parameter_code, parameter, unit,
         t, value) in rows:
        enterprise = out.setdefault(eid, DisclosedEnterprise(name, uscc, industry, region))
        entry = enterprise.outlets.setdefault(code, DisclosedOutlet(code, outlet, kind, standard))
        if parameter_code is not None:
            entry.values.append(OutletValue(parameter, unit, t.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                                            value, _number(limit)))
    return list(out.values())


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


@router.get("/disclosure", response_class=HTMLResponse)
async def disclosure_page(request: Request, conn: Connection) -> HTMLResponse:
    return render(request, "portal/disclosure.html", {"enterprises": await disclosed_enterprises(conn)})


_LATEST_WATER_MONTH = f"""
    SELECT max(o.t) FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
    WHERE s.element = 'water' AND s.state = 'active' AND o.review_state = {RELEASED}"""


@router.get("/water", response_class=HTMLResponse)
async def water_page(request: Request, conn: Connection) -> HTMLResponse:
    """Class of every active section in the latest month with released water data."""
    latest = (await (await conn.execute(_LATEST_WATER_MONTH)).fetchone())[0]
    sections: list[dict] = []
    month = None
    if latest is not None:
        local = latest.astimezone(LOCAL_TZ)
        month = dt.date(local.year, local.month, 1)
        sql, args = water_sections.month_query(month, get_settings().timezone,
                                               "s.state = 'active' AND o.review_state = %s", [RELEASED])
        table = water_sections.classify_sections(await (await conn.execute(sql, args)).fetchall())
        if table.height:
            sections = table.select("code", "name_zh", "class", "status", "target", "compliant",
                                    "main_pollutants").to_dicts()
    return render(request, "portal/water.html",
                  {"sections": sections, "month": month.strftime("%Y-%m") if month else None})
