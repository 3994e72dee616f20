"""重点污染源超标排放情况: outlets whose valid hourly values or daily means exceeded their limits in a period, and
emission loads (排放量) against permitted totals (许可排放量) per outlet and for the whole plant."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import sources
from ecomon.reports.model import Column, Report, Scopes, Table
from ecomon.web.i18n.reports import t

KIND = "source"


def queries(first: dt.date, last: dt.date, tz: str, scopes: Scopes) -> dict:
    return {"rows": sources.exceedance_query(first, last, tz, *scopes.series),
            "loads": sources.load_query(first, last, tz, *scopes.series)}


def build(first: dt.date, last: dt.date, results: dict[str, list[tuple]], tz: str, lang: str = "zh") -> Report:
    rows = []
    for row in results["rows"]:
        record = dict(zip(sources.COLUMNS, row, strict=True))
        for key in ("first_exceedance", "last_exceedance"):
            if record[key] is not None:
                record[key] = record[key].astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M")
        record["outlet"] = f"{record['outlet_code']} {record['outlet']}"
        record["parameter"] = f"{record['parameter']} ({record['unit']})"
        rows.append(record)
    columns = [
        Column("enterprise", t("col.enterprise", lang), width=22), Column("uscc", t("col.uscc", lang), width=20),
        Column("outlet", t("col.outlet", lang), width=16), Column("parameter", t("col.pollutant", lang), width=16),
        Column("limit", t("col.limit", lang), decimals=1), Column("standard", t("col.standard", lang), width=14),
        Column("valid_hours", t("col.valid_hours", lang), decimals=0),
        Column("exceed_hours", t("col.exceed_hours", lang), decimals=0),
        Column("max_value", t("col.max_value", lang), decimals=1),
        Column("max_multiple", t("col.max_multiple", lang), decimals=2),
        Column("valid_days", t("col.valid_days", lang), decimals=0),
        Column("exceed_days", t("col.exceed_days", lang), decimals=0),
        Column("first_exceedance", t("col.first", lang), width=17),
        Column("last_exceedance", t("col.last", lang), width=17),
    ]
    return Report(
        kind=KIND, title=t("report.source.title", lang),
        subtitle=f"{t('report.period', lang)}：{first.isoformat()} — {last.isoformat()}",
        tables=(Table(t("report.table.exceedances", lang), columns, rows), _loads(results["loads"], last, lang)),
        footnotes=(t("note.source", lang), t("note.loads", lang)),
        filename=f"source-exceedances-{first.isoformat()}_{last.isoformat()}")


def _loads(rows: list[tuple], last: dt.date, lang: str) -> Table:
    records = []
    for record in sources.emission_loads(rows).to_dicts():
        whole = record["outlet_code"] == sources.WHOLE_PLANT
        record["outlet"] = t("col.whole_plant", lang) if whole else f"{record['outlet_code']} {record['outlet']}"
        if record["permit_share"] is not None:
            record["permit_share"] *= 100
        if record["permit_exceeded"] is not None:
            record["permit_exceeded"] = t("load.exceeded" if record["permit_exceeded"] else "load.within", lang)
        records.append(record)
    ytd = f"{last.year}-01-01 — {last.isoformat()}"
    columns = [
        Column("enterprise", t("col.enterprise", lang), width=22),
        Column("permit_number", t("col.permit_number", lang), width=22),
        Column("outlet", t("col.outlet", lang), width=16), Column("parameter", t("col.pollutant", lang), width=14),
        Column("hours", t("col.load_hours", lang), decimals=0),
        Column("emitted_t", t("col.emitted", lang), "t", decimals=3),
        Column("hours_ytd", t("col.load_hours_ytd", lang, span=ytd), decimals=0, width=14),
        Column("emitted_ytd_t", t("col.emitted_ytd", lang, span=ytd), "t", decimals=3, width=14),
        Column("permitted_t", t("col.permitted", lang), "t/a", decimals=3),
        Column("permit_share", t("col.permit_share", lang), "%", decimals=1),
        Column("permit_exceeded", t("col.permit_state", lang)),
    ]
    return Table(t("report.table.loads", lang), columns, records)


def _zone(tz: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)
