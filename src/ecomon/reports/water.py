"""地表水水质月报: every section's class for the month, its target, compliance and main pollutants
(GB 3838-2002, 环办〔2011〕22号), with the monthly means of the items that usually decide the class; then the
status of rivers and basins (section-proportion method) and the class and trophic state of lakes."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ecomon.evaluation import env_results, water_bodies, water_sections
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.web.i18n.reports import t

KIND = "water"
SHOWN_ITEMS = (("pH", 2), ("DO", 1), ("CODMn", 1), ("COD", 1), ("BOD5", 1), ("NH3-N", 2), ("TP", 2))


def queries(month: dt.date, tz: str, scopes: Scopes) -> dict:
    return {"stored": env_results.query("water", ("month",), month, month, *scopes.results),
            "rows": water_sections.month_query(month, tz, *scopes.sites)}


def build(month: dt.date, results: dict[str, list[tuple]], lang: str = "zh") -> Report:
    """From the stored monthly results when the month was evaluated, else from the observations."""
    stored = env_results.as_dicts(results["stored"])
    sections = (water_sections.sections_from_stored(stored) if stored
                else water_sections.classify_sections(results["rows"]))
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
        tables=(Table(t("report.table.sections", lang), columns, rows), _rivers(sections, lang),
                _lakes(sections, lang)),
        footnotes=(t("note.water", lang), t("unit.water", lang), t("note.water_bodies", lang)),
        filename=f"water-monthly-{month:%Y-%m}")


def _rivers(sections: pl.DataFrame, lang: str) -> Table:
    rows = [{**r, "level": t(f"water.level.{r['level']}", lang), "method": t(f"water.method.{r['method']}", lang)}
            for r in water_bodies.river_status(sections).to_dicts()]
    columns = [
        Column("level", t("col.water_level", lang), width=8), Column("name", t("col.water_name", lang), width=16),
        Column("sections", t("col.sections", lang), decimals=0), Column("method", t("col.method", lang), width=14),
        Column("share_good", t("col.share_good", lang), "%", decimals=1),
        Column("share_inferior", t("col.share_inferior", lang), "%", decimals=1),
        Column("status", t("col.status", lang), width=9),
    ]
    return Table(t("report.table.rivers", lang), columns, rows)


def _lakes(sections: pl.DataFrame, lang: str) -> Table:
    columns = [
        Column("name", t("col.lake", lang), width=16), Column("points", t("col.points", lang), decimals=0),
        Column("class", t("col.class", lang), width=8), Column("status", t("col.status", lang), width=9),
        Column("tli", "TLI(Σ)", decimals=1), Column("trophic", t("col.trophic", lang), width=12),
    ]
    return Table(t("report.table.lakes", lang), columns, water_bodies.lake_state(sections).to_dicts())
