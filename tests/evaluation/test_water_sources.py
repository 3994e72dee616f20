"""Water classes per section (GB 3838-2002) and outlet exceedances from stored observations."""

from __future__ import annotations

import datetime as dt

from ecomon.evaluation import sources, water_sections
from tests.evaluation.test_reports import report

MONTH = dt.date(2015, 6, 1)


def _series(db, *, site_id=None, outlet_id=None, code: str) -> int:
    return db.execute(
        """INSERT INTO series (site_id, outlet_id, parameter_code, interval_kind) VALUES (%s, %s, %s, 'hour')
           RETURNING id""", (site_id, outlet_id, code)).fetchone()[0]


def _observe(db, series_id: int, values: list[tuple[str, float, str | None]]) -> None:
    db.execute("SELECT ensure_observation_partitions('2015-05-01', '2015-06-30')")
    for t, value, flag in values:
        db.execute("""INSERT INTO observation (series_id, t, value, data_flag, channel, source_id)
                      VALUES (%s, %s, %s, %s, 'manual', 0)""", (series_id, t, value, flag))


def _section(db, code: str, target: str, values: dict[str, list[float]]) -> None:
    site_id = db.execute(
        """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, target_class, updated_by)
           VALUES (%s, %s, 'water', 'river_section', 'national', '110105', %s, 'test') RETURNING id""",
        (code, f"{code}断面", target)).fetchone()[0]
    for parameter, samples in values.items():
        sid = _series(db, site_id=site_id, code=parameter)
        _observe(db, sid, [(f"2015-06-{d + 1:02d}T10:00:00+08:00", v, None) for d, v in enumerate(samples)])


def test_section_class_compliance_and_main_pollutants(db, evaluated):
    # NH3-N mean 1.8 mg/L → class V (1.5 < x <= 2.0), TP 0.15 → III, DO 6 → II: the section is class V.
    _section(db, "S1", "III", {"w21003": [1.6, 2.0], "w21011": [0.15, 0.15], "w01009": [6.0, 6.0]})
    _section(db, "S2", "III", {"w21003": [0.4, 0.6], "w21011": [0.1, 0.1], "w01009": [7.0, 8.0]})
    sql, args = water_sections.month_query(MONTH, "Asia/Shanghai", "true", [])
    table = {r["code"]: r for r in water_sections.classify_sections(db.execute(sql, args).fetchall()).to_dicts()}
    assert table["S1"]["class"] == "V" and table["S1"]["compliant"] is False
    assert table["S1"]["main_pollutants"] == "NH3-N(0.80)"            # (1.8 − 1.0) / 1.0 over the class III limit
    assert table["S2"]["class"] == "II" and table["S2"]["compliant"] is True and table["S2"]["status"] == "优"
    built = report(db, "water", month="2015-06")
    assert [r["code"] for r in built.tables[0].rows] == ["S1", "S2"]
    db.rollback()


def test_outlet_exceedances_count_only_valid_hours(db, evaluated):
    enterprise = db.execute(
        """INSERT INTO enterprise (uscc, name_zh, region_code, updated_by)
           VALUES ('91110105MA01ABCD3X', '测试热电厂', '110105', 'test') RETURNING id""").fetchone()[0]
    outlet = db.execute(
        """INSERT INTO outlet (enterprise_id, code, name_zh, kind, emission_standard, limits, updated_by)
           VALUES (%s, 'DA001', '1号锅炉排口', 'gas', 'GB13271-2014', '{"a21026": 200}', 'test') RETURNING id""",
        (enterprise,)).fetchone()[0]
    sid = _series(db, outlet_id=outlet, code="a21026")
    hours = [(f"2015-06-01T{h:02d}:00:00+08:00", 150.0, "N") for h in range(24)]
    hours[3] = (hours[3][0], 300.0, "N")       # exceeds: multiple 0.5
    hours[4] = (hours[4][0], 900.0, "C")       # calibration hour: not valid, not an exceedance
    hours += [(f"2015-06-02T{h:02d}:00:00+08:00", 260.0, "N") for h in range(21)]   # a valid day above the limit
    _observe(db, sid, hours)
    sql, args = sources.exceedance_query(dt.date(2015, 6, 1), dt.date(2015, 6, 30), "Asia/Shanghai", "true", [])
    rows = [dict(zip(sources.COLUMNS, r, strict=True)) for r in db.execute(sql, args).fetchall()]
    assert len(rows) == 1
    row = rows[0]
    assert (row["valid_hours"], row["exceed_hours"], row["max_value"], row["max_multiple"]) == (44, 22, 300.0, 0.5)
    assert (row["valid_days"], row["exceed_days"]) == (2, 1)
    built = report(db, "source", **{"from": "2015-06-01", "to": "2015-06-30"})
    assert built.tables[0].rows[0]["first_exceedance"] == "2015-06-01 03:00"
    db.rollback()
