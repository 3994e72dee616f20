"""环境空气质量月报: the city's month with the change against the same month a year earlier, and the rankings
of districts and stations by composite index (HJ 663; rank 1 = best, as the MEE city rankings)."""

from __future__ import annotations

import datetime as dt
import json

from ecomon.evaluation.assessment import period_end
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.standards.rulesets import AqiRuleSet, aqi_ruleset_on
from ecomon.web.i18n import POLLUTANT_LABELS
from ecomon.web.i18n.reports import t

KIND = "monthly-air"
FIELDS = ("site_id", "code", "name", "region_code", "region_level", "period_start", "rule_set", "limit_set",
          "aqi_days", "good_days", "heavy_days", "good_rate", "composite", "composite_primary", "statistics",
          "stations")
CONCENTRATIONS = (("PM2.5", "PM2.5", 0), ("PM10", "PM10", 0), ("SO2", "SO2", 0), ("NO2", "NO2", 0),
                  ("CO_p95", "CO", 1), ("O3_8h_p90", "O3", 0))


def parse_month(text: str) -> dt.date:
    """"2016-01" → 2016-01-01; a clear error otherwise."""
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, not {text!r}") from None


def queries(month: dt.date, scopes: Scopes, rule_set: AqiRuleSet | None = None) -> dict:
    where, args = scopes.assessments
    sql = f"""
        SELECT r.site_id, s.code, coalesce(s.name_zh, CASE WHEN g.name_zh = '市辖区' THEN p.name_zh ELSE g.name_zh END),
               r.region_code, g.level, r.period_start, r.rule_set, r.limit_set, r.aqi_days, r.good_days,
               r.heavy_days, r.good_rate, r.composite, r.composite_primary, r.statistics, r.stations
        FROM air_assessment_result r LEFT JOIN site s ON s.id = r.site_id
             LEFT JOIN region g ON g.code = r.region_code LEFT JOIN region p ON p.code = g.parent_code
        WHERE r.period = 'month' AND r.period_start = ANY(%s) AND {where}
        ORDER BY r.period_start, s.code, r.region_code"""
    last_year = month.replace(year=month.year - 1)
    return {"rows": (sql, [[month, last_year], *args])}


def _place_kind(record: dict) -> str:
    return "station" if record["site_id"] is not None else ("city" if record["region_level"] == "city" else "district")


def _flat(record: dict) -> dict:
    stats = record["statistics"] if isinstance(record["statistics"], dict) else json.loads(record["statistics"])
    return {**record, **{key: stats.get(key) for key, _, _ in CONCENTRATIONS}}


def _change(now: float | None, before: float | None, relative: bool) -> float | None:
    if now is None or before is None or (relative and not before):
        return None
    return round((now - before) / before * 100, 1) if relative else round(now - before, 1)


def _ranked(rows: list[dict]) -> list[dict]:
    """Rank by composite index ascending (1 = best); equal indices share the better rank; no index → unranked."""
    scored = sorted((r for r in rows if r["composite"] is not None), key=lambda r: r["composite"])
    for row in scored:
        row["rank"] = 1 + sum(other["composite"] < row["composite"] for other in scored)
    return scored + [r for r in rows if r["composite"] is None]


def _columns(first: Column, lang: str) -> list[Column]:
    return [
        Column("rank", t("col.rank", lang), decimals=0, width=6), first,
        Column("composite", t("col.composite", lang), decimals=2),
        Column("composite_change", t("col.composite_change", lang), decimals=1, width=12),
        Column("composite_primary", t("col.composite_primary", lang)),
        Column("aqi_days", t("col.aqi_days", lang), decimals=0, width=8),
        Column("good_days", t("col.good_days", lang), decimals=0, width=8),
        Column("good_rate", t("col.good_rate", lang), decimals=1, width=12),
        Column("good_rate_change", t("col.good_rate_change", lang), decimals=1, width=11),
        Column("heavy_days", t("col.heavy_days", lang), decimals=0, width=12),
        *(Column(key, POLLUTANT_LABELS[label] + (" 95%" if key == "CO_p95" else " 8h 90%" if key.startswith("O3")
                                                 else ""), "mg/m³" if label == "CO" else "μg/m³", decimals)
          for key, label, decimals in CONCENTRATIONS),
        Column("pm25_change", t("col.pm25_change", lang), decimals=1, width=11),
    ]


def build(month: dt.date, results: dict[str, list[tuple]], rule_set: AqiRuleSet | None = None,
          lang: str = "zh") -> Report:
    rule = rule_set or aqi_ruleset_on(period_end("month", month))
    records = [_flat(dict(zip(FIELDS, row, strict=True))) for row in results["rows"]]
    now = [r for r in records if r["period_start"] == month and r["rule_set"] == rule]
    before = {}
    for r in sorted((r for r in records if r["period_start"] != month), key=lambda r: r["rule_set"] != rule):
        before.setdefault((r["site_id"], r["region_code"]), r)   # same rule set preferred
    for row in now:
        old = before.get((row["site_id"], row["region_code"]), {})
        row["composite_change"] = _change(row["composite"], old.get("composite"), True)
        row["good_rate_change"] = _change(row["good_rate"], old.get("good_rate"), False)
        row["pm25_change"] = _change(row["PM2.5"], old.get("PM2.5"), True)
    kinds = {kind: [r for r in now if _place_kind(r) == kind] for kind in ("city", "district", "station")}
    limits = now[0]["limit_set"] if now else "—"
    notes = [t("note.aqi_rules", lang, rule=rule.replace("HJ633", "HJ 633"), period=f"{month:%Y-%m}"),
             t("note.assessment", lang, limits=limits.replace("GB3095", "GB 3095")), t("unit.air", lang)]
    compared = {r["rule_set"] for r in before.values()}
    if compared - {rule}:
        notes.append(f"同比基数按 {', '.join(sorted(compared))} 计算 / last year's figures under {', '.join(sorted(compared))}")
    return Report(
        kind=KIND, title=t("report.monthly_air.title", lang),
        subtitle=f"{t('report.month', lang)}：{month:%Y年%m月}　{t('report.rule_set', lang)}：{rule} / {limits}",
        tables=(
            Table(t("report.table.city_month", lang), _columns(Column("name", t("col.city", lang), width=12), lang)[1:],
                  kinds["city"]),
            Table(t("report.table.districts", lang), _columns(Column("name", t("col.district", lang), width=12), lang),
                  _ranked(kinds["district"])),
            Table(t("report.table.station_rank", lang), _columns(Column("name", t("col.place", lang), width=14), lang),
                  _ranked(kinds["station"])),
        ),
        footnotes=tuple(notes), filename=f"air-monthly-{month:%Y-%m}")
