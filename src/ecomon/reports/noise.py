"""功能区声环境质量月报: the month's functional-zone compliance, laid out like the bulletins' tables — first by zone
class (监测点次, 达标点次, 达标率 by day and night), then per station (Leq against the GB 3096-2008 Table 1 limit
and the rates). Built from the stored results (`ecomon evaluate env` / the watch service); a period counts as a
点次 when it holds at least 75 % of its hours (`evaluation.noise_zones.MIN_SHARE`)."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import env_results
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.standards import noise
from ecomon.web.i18n.reports import t

KIND = "noise"
PERIODS = (noise.DAY, noise.NIGHT)


def queries(month: dt.date, scopes: Scopes) -> dict:
    return {"months": env_results.query("noise", ("month",), month, month, *scopes.results)}


def build(month: dt.date, results: dict[str, list[tuple]], lang: str = "zh") -> Report:
    stations = env_results.as_dicts(results["months"])
    return Report(
        kind=KIND, title=t("report.noise.title", lang), subtitle=f"{t('report.month', lang)}：{month:%Y年%m月}",
        tables=(_by_zone(stations, lang), _by_station(stations, lang)),
        footnotes=(t("note.noise", lang), t("note.noise_points", lang), t("unit.noise", lang)),
        filename=f"noise-monthly-{month:%Y-%m}")


def _zone_label(zone: str | None, lang: str) -> str:
    return t("noise.zone", lang, zone=zone) if zone else "—"


def _by_zone(stations: list[dict], lang: str) -> Table:
    """Per zone class and for all classes: complete periods (点次), compliant ones and the rate, day and night."""
    zones = [z for z in noise.ZONE_LIMITS if any(s["detail"].get("zone") == z for s in stations)]
    rows = [_zone_row(_zone_label(z, lang), [s for s in stations if s["detail"].get("zone") == z]) for z in zones]
    if rows:
        rows.append(_zone_row(t("col.total", lang), [s for s in stations if s["detail"].get("zone") in zones]))
    columns = [Column("zone", t("col.zone", lang), width=10), Column("stations", t("col.stations", lang), decimals=0)]
    for period in PERIODS:
        word = t(f"noise.{period}", lang)
        columns += [Column(f"{period}_periods", f"{word}{t('col.noise_periods', lang)}", decimals=0),
                    Column(f"{period}_compliant", f"{word}{t('col.noise_compliant', lang)}", decimals=0),
                    Column(f"{period}_rate", f"{word}{t('col.noise_rate', lang)}", "%", decimals=1)]
    return Table(t("report.table.noise_zones", lang), columns, rows)


def _zone_row(label: str, stations: list[dict]) -> dict:
    row: dict = {"zone": label, "stations": len(stations)}
    for period in PERIODS:
        judged = sum(s["detail"].get(f"{period}_periods") or 0 for s in stations)
        compliant = sum(s["detail"].get(f"{period}_compliant") or 0 for s in stations)
        row |= {f"{period}_periods": judged, f"{period}_compliant": compliant,
                f"{period}_rate": 100.0 * compliant / judged if judged else None}
    return row


def _by_station(stations: list[dict], lang: str) -> Table:
    rows = []
    for s in stations:
        zone = s["detail"].get("zone")
        limits = noise.ZONE_LIMITS.get(zone or "")
        rows.append({"name_zh": s["name_zh"], "region_name": s["region_name"], "zone": _zone_label(zone, lang),
                     **{f"{p}_{k}": s["detail"].get(f"{p}_{k}") for p in PERIODS for k in ("leq", "rate")},
                     "day_limit": limits[0] if limits else None, "night_limit": limits[1] if limits else None,
                     "periods": s["inputs_valid"], "verdict": s["verdict"]})
    columns = [Column("name_zh", t("col.place", lang), width=16), Column("region_name", t("col.region", lang)),
               Column("zone", t("col.zone", lang), width=10)]
    for period in PERIODS:
        word = t(f"noise.{period}", lang)
        columns += [Column(f"{period}_leq", f"{word}Leq", "dB(A)", decimals=1),
                    Column(f"{period}_limit", f"{word}{t('col.limit_short', lang)}", "dB(A)", decimals=0),
                    Column(f"{period}_rate", f"{word}{t('col.noise_rate', lang)}", "%", decimals=1)]
    columns += [Column("periods", t("col.noise_valid_periods", lang), decimals=0),
                Column("verdict", t("col.noise_month_verdict", lang), width=10)]
    return Table(t("report.table.noise_stations", lang), columns, rows)
