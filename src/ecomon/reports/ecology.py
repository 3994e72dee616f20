"""生态质量年度评价表: per ecology site (county or city) the stored yearly ecological status index of HJ 192-2015 —
the five sub-indices, the grades lowered by an environmental restriction, EI and its grade, and the change against
the year before (ΔEI, degree and trend) as `ecomon evaluate env --element ecology` stored them."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import env_results
from ecomon.evaluation.ecology_regions import SUB_INDICES
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.standards.cli_ecology import EI_DECIMALS
from ecomon.web.i18n.reports import t

KIND = "ecology"


def queries(year: int, scopes: Scopes) -> dict:
    first = dt.date(year, 1, 1)
    return {"years": env_results.query("ecology", ("year",), first, first, *scopes.results)}


def build(year: int, results: dict[str, list[tuple]], lang: str = "zh") -> Report:
    rows = []
    for r in env_results.as_dicts(results["years"]):
        detail = r["detail"]
        missing = detail.get("missing")
        rows.append({"name_zh": r["name_zh"], "region_name": r["region_name"],
                     **{name: detail.get(name) for name in SUB_INDICES.values()},
                     "downgrade": detail.get("downgrade"), "ei": r["value"],
                     "grade": r["verdict"] or t("ecology.missing", lang,
                                                items="、".join(t(f"ecology.{m}", lang) for m in missing or ())),
                     "delta_ei": detail.get("delta_ei"), "change": detail.get("change"), "trend": detail.get("trend")})
    columns = [
        Column("name_zh", t("col.assessment_unit", lang), width=16), Column("region_name", t("col.region", lang)),
        *(Column(name, t(f"ecology.{name}", lang), decimals=EI_DECIMALS, width=12) for name in SUB_INDICES.values()),
        Column("downgrade", t("col.ecology_downgrade", lang), decimals=0, width=12),
        Column("ei", "EI", decimals=EI_DECIMALS), Column("grade", t("col.ecology_grade", lang), width=14),
        Column("delta_ei", "ΔEI", decimals=EI_DECIMALS), Column("change", t("col.ecology_change", lang), width=12),
        Column("trend", t("col.ecology_trend", lang), width=8),
    ]
    return Report(
        kind=KIND, title=t("report.ecology.title", lang), subtitle=f"{t('report.year', lang)}：{year}",
        tables=(Table(t("report.table.ecology", lang), columns, rows),),
        footnotes=(t("note.ecology", lang),), filename=f"ecology-{year}")
