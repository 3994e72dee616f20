"""土壤污染风险评价结果: every stored soil sample of a period with its land use, the standard applied (GB 15618-2018
for agricultural land in the sample's pH band, GB 36600-2018 for construction land of class 1 or 2), the measured
heavy metals, the items above the screening and intervention values with their multiples, and the category."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import env_results
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.web.i18n.reports import STRINGS, t

KIND = "soil"
METALS = (("Cd", 3), ("Hg", 3), ("As", 2), ("Pb", 1), ("Cr", 1), ("Cu", 1), ("Ni", 1), ("Zn", 1), ("Cr6", 2))


def queries(first: dt.date, last: dt.date, scopes: Scopes) -> dict:
    return {"samples": env_results.query("soil", ("sample",), first, last, *scopes.results)}


def build(first: dt.date, last: dt.date, results: dict[str, list[tuple]], lang: str = "zh") -> Report:
    rows = []
    for s in env_results.as_dicts(results["samples"]):
        detail = s["detail"]
        land = (t(f"soil.farmland.{detail.get('farmland')}", lang) if detail["land_use"] == "agricultural"
                else t("soil.land_class", lang, klass=detail.get("land_class")))
        rows.append({"name_zh": s["name_zh"], "region_name": s["region_name"], "date": s["period_start"].isoformat(),
                     "land": land, "rule_set": s["rule_set"], "pH": detail.get("pH"),
                     **{item: detail["values"].get(item) for item, _ in METALS},
                     "over_screening": _multiples(detail["over_screening"], lang),
                     "over_intervention": _multiples(detail["over_intervention"], lang),
                     "items": f"{s['inputs_valid']}/{s['inputs_expected']}",
                     "verdict": s["verdict"] or t(f"soil.missing.{detail.get('missing', 'items')}", lang)})
    columns = [
        Column("name_zh", t("col.place", lang), width=16), Column("region_name", t("col.region", lang)),
        Column("date", t("col.sampling_date", lang), width=11), Column("land", t("col.land_use", lang), width=14),
        Column("rule_set", t("col.soil_standard", lang), width=13), Column("pH", "pH", decimals=2),
        *(Column(item, _name(item, lang), "mg/kg", decimals) for item, decimals in METALS),
        Column("over_screening", t("col.over_screening", lang), width=22),
        Column("over_intervention", t("col.over_intervention", lang), width=22),
        Column("items", t("col.soil_items", lang), width=10), Column("verdict", t("col.soil_verdict", lang), width=11),
    ]
    return Report(
        kind=KIND, title=t("report.soil.title", lang), subtitle=f"{t('report.period', lang)}：{first} — {last}",
        tables=(Table(t("report.table.soil", lang), columns, rows),),
        footnotes=(t("note.soil", lang), t("note.soil_items", lang)),
        filename=f"soil-{first}-{last}")


def _multiples(items: dict[str, float], lang: str) -> str:
    """"Cd(0.50)、苯(10.25)": items above the value with (C − value)/value, as the national tables print them."""
    return "、".join(f"{_name(item, lang)}({multiple:.2f})" for item, multiple in items.items())


def _name(item: str, lang: str) -> str:
    """Element symbols as they are (Cd, Pb …); compounds and Cr(VI) by their name."""
    return t(f"soil.item.{item}", lang) if f"soil.item.{item}" in STRINGS else item
