"""环境γ辐射空气吸收剂量率月报: per automatic station the month's mean and range, the station's baseline and
investigation level (mean + 3σ of the 365 days before), the hours above it, and the verdict against the local
natural background range, as the radiation-environment bulletins tabulate them. Built from the stored results."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import env_results, gamma_stations
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.web.i18n.reports import t

KIND = "radiation"


def queries(month: dt.date, scopes: Scopes) -> dict:
    return {"months": env_results.query("radiation", ("month",), month, month, *scopes.results)}


def build(month: dt.date, results: dict[str, list[tuple]], lang: str = "zh") -> Report:
    rows = []
    for stored in env_results.as_dicts(results["months"]):
        s = {**gamma_stations.summary_from_stored([stored])[0], "region_name": stored["region_name"]}
        low, high = s.get("background_low"), s.get("background_high")
        rows.append({**s, "range": f"{s['min']:.1f}～{s['max']:.1f}",
                     "background": f"{low:.1f}～{high:.1f}" if low is not None and high is not None else None,
                     "coverage": s["readings"]})
    unit = "nGy/h"
    columns = [
        Column("name_zh", t("col.place", lang), width=16), Column("region_name", t("col.region", lang)),
        Column("coverage", t("col.valid_hours", lang), decimals=0),
        Column("mean", t("col.gamma_mean", lang), unit, decimals=1),
        Column("range", t("col.gamma_range", lang), unit, width=14),
        Column("baseline_mean", t("col.gamma_baseline", lang), unit, decimals=1),
        Column("baseline_sd", t("col.gamma_sd", lang), unit, decimals=2),
        Column("investigation_level", t("col.gamma_investigation", lang), unit, decimals=1),
        Column("above_investigation", t("col.gamma_above", lang), decimals=0),
        Column("background", t("col.gamma_background", lang), unit, width=14),
        Column("background_verdict", t("col.gamma_verdict", lang), width=8),
    ]
    return Report(
        kind=KIND, title=t("report.radiation.title", lang), subtitle=f"{t('report.month', lang)}：{month:%Y年%m月}",
        tables=(Table(t("report.table.gamma", lang), columns, rows),),
        footnotes=(t("note.gamma", lang), t("note.gamma_background", lang)),
        filename=f"gamma-monthly-{month:%Y-%m}")
