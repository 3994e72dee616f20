"""环境空气质量日报: the daily AQI of every station and of the city, as the national daily report lists it
(HJ 633 daily AQI, 24-h concentrations, primary pollutant, level and category)."""

from __future__ import annotations

import datetime as dt
import json

from ecomon.evaluation.inputs import local_midnight
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.standards import aqi
from ecomon.standards.rulesets import AqiRuleSet, aqi_ruleset_on
from ecomon.web.i18n import POLLUTANT_LABELS
from ecomon.web.i18n.reports import t

KIND = "daily"
FIELDS = ("site_id", "code", "name", "region_code", "aqi", "level", "primary", "inputs", "items_valid",
          "items_expected", "review_state", "stations", "city_level")


def queries(day: dt.date, tz: str, scopes: Scopes, rule_set: AqiRuleSet | None = None) -> dict:
    where, args = scopes.results
    sql = f"""
        SELECT r.site_id, s.code, coalesce(s.name_zh, CASE WHEN g.name_zh = '市辖区' THEN p.name_zh ELSE g.name_zh END),
               r.region_code, r.aqi, r.level, r.primary_pollutants, r.inputs, r.items_valid, r.items_expected,
               r.review_state, r.stations, g.level = 'city'
        FROM aqi_result r LEFT JOIN site s ON s.id = r.site_id LEFT JOIN region g ON g.code = r.region_code
             LEFT JOIN region p ON p.code = g.parent_code
        WHERE r.period = 'day' AND r.t = %s AND r.rule_set = %s AND (r.site_id IS NOT NULL OR g.level = 'city')
          AND {where}
        ORDER BY r.site_id IS NOT NULL, s.code, r.region_code"""
    return {"rows": (sql, [local_midnight(day, tz), rule_set or aqi_ruleset_on(day), *args])}


def _columns(lang: str) -> list[Column]:
    air = [("SO2", "SO2", 0), ("NO2", "NO2", 0), ("CO", "CO", 1), ("O3", "O3", 0), ("O3_8h", "O3", 0),
           ("PM10", "PM10", 0), ("PM2.5", "PM2.5", 0)]
    heads = {"O3": f"{POLLUTANT_LABELS['O3']} 1h", "O3_8h": f"{POLLUTANT_LABELS['O3']} 8h"}
    return [
        Column("name", t("col.place", lang), width=16),
        *(Column(key, heads.get(key, POLLUTANT_LABELS[label]), "mg/m³" if key == "CO" else "μg/m³", decimals)
          for key, label, decimals in air),
        Column("aqi", t("col.aqi", lang), decimals=0, width=7),
        Column("primary", t("col.primary", lang), width=14),
        Column("level_text", t("col.level", lang), width=8),
        Column("category", t("col.category", lang), width=10),
        Column("coverage", t("col.coverage", lang), width=9),
    ]


def _row(record: dict, lang: str) -> dict:
    inputs = record["inputs"] if isinstance(record["inputs"], dict) else json.loads(record["inputs"] or "{}")
    level = record["level"] or 0
    info = aqi.LEVELS[level - 1] if level else None
    primary = record["primary"] or []
    return {
        **{k: inputs.get(k) for k in ("SO2", "NO2", "CO", "O3", "O3_8h", "PM10", "PM2.5")},
        "name": record["name"] or record["code"], "aqi": record["aqi"],
        "primary": "、".join(POLLUTANT_LABELS.get(p.removesuffix("_8h"), p) + ("(8h)" if p.endswith("_8h") else "")
                            for p in primary) or "—",
        "level_text": (("一", "二", "三", "四", "五", "六")[level - 1] + "级" if lang == "zh" else f"Level {level}")
        if level else "—",
        "category": (info.category_zh if lang == "zh" else info.category_en) if info else "—",
        "colour": info.hex if info else None,
        "coverage": f"{record['items_valid']}/{record['items_expected']}",
    }


def build(day: dt.date, results: dict[str, list[tuple]], rule_set: AqiRuleSet | None = None,
          lang: str = "zh") -> Report:
    records = [dict(zip(FIELDS, row, strict=True)) for row in results["rows"]]
    rule = rule_set or aqi_ruleset_on(day)
    columns = _columns(lang)
    cities = [_row(r, lang) for r in records if r["site_id"] is None]
    stations = [_row(r, lang) for r in records if r["site_id"] is not None]
    notes = [t("note.aqi_rules", lang, rule=rule.replace("HJ633", "HJ 633"), period=t("period.day", lang)),
             t("note.daily_inputs", lang), t("note.city_mean", lang), t("unit.air", lang)]
    if any(r["review_state"] < 3 for r in records):
        notes.append(t("report.preliminary", lang))
    return Report(
        kind=KIND, title=t("report.daily.title", lang),
        subtitle=f"{t('report.date', lang)}：{day.isoformat()}　{t('report.rule_set', lang)}：{rule}",
        tables=(Table(t("report.table.city", lang), columns, cities, highlight="colour"),
                Table(t("report.table.stations", lang), columns, stations, highlight="colour")),
        footnotes=tuple(notes), filename=f"air-daily-{day.isoformat()}")
