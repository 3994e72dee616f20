"""地表水水质月报: every section's class for the month, its target, compliance and main pollutants
(GB 3838-2002, 环办〔2011〕22号), with the monthly means of the items that usually decide the class."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ecomon.evaluation import water_sections
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.web.i18n.reports import t

KIND = "water"
SHOWN_ITEMS = (("pH", 2), ("DO", 1), ("CODMn", 1), ("COD", 1), ("BOD5", 1), ("NH3-N", 2), ("TP", 2))


def queries(month: dt.date, tz: str, scopes: Scopes) -> dict:
    return {"rows": water_sections.month_query(month, tz, *scopes.sites)}


def build(month: dt.date, results: dict[str, list[tuple]], lang: str = "zh") -> Report:
    sections = water_sections.classify_sections(results["rows"])
    body_words = {"river": "河流", "lake": "湖库"} if lang == "zh" else {"river": "river", "lake": "lake"}
    rows = [] if not sections.height else sections.with_columns(
        pl.col("waterbody").replace_strict(body_words, default=pl.col("waterbody"))).to_dicts()
    columns = [
        Column("name_zh", t("col.section", lang), width=16), Column("region_code", t("col.region", lang)),
        Column("waterbody", t("col.waterbody", lang), width=8), Column("samples", t("col.samples", lang), decimals=0),
        Column("target", t("col.target", lang), width=8), Column("class", t("col.class", lang), width=8),
        Column("status", t("col.status", lang), width=9), Column("compliant", t("col.compliant", lang), width=8),
        Column("main_pollutants", t("col.main_pollutants", lang), width=28),
        *(Column(item, item, "" if item == "pH" else "mg/L", decimals) for item, decimals in SHOWN_ITEMS),
    ]
    return Report(
        kind=KIND, title=t("report.water.title", lang), subtitle=f"{t('report.month', lang)}：{month:%Y年%m月}",
        tables=(Table(t("report.table.sections", lang), columns, rows),),
        footnotes=(t("note.water", lang), t("unit.water", lang)), filename=f"water-monthly-{month:%Y-%m}")
