"""Emission loads (concentration × flow over valid paired hours) against permitted totals, per outlet and plant."""

from __future__ import annotations

import datetime as dt

import pytest

from ecomon.evaluation import sources
from ecomon.reports.render import render
from tests.evaluation.test_reports import report, sheet


def _hours(db, outlet: int, code: str, day: str, values: list[tuple[float, str]]) -> None:
    series = db.execute("""INSERT INTO series (outlet_id, parameter_code, interval_kind) VALUES (%s, %s, 'hour')
                           ON CONFLICT DO NOTHING RETURNING id""", (outlet, code)).fetchone()
    series = series[0] if series else db.execute(
        "SELECT id FROM series WHERE outlet_id = %s AND parameter_code = %s", (outlet, code)).fetchone()[0]
    for hour, (value, flag) in enumerate(values):
        db.execute("""INSERT INTO observation (series_id, t, value, data_flag, channel, source_id)
                      VALUES (%s, %s, %s, %s, 'manual', 0)""", (series, f"{day}T{hour:02d}:00:00+08:00", value, flag))


@pytest.fixture()
def plant(db):
    db.execute("SELECT ensure_observation_partitions('2015-01-01', '2015-06-30')")
    enterprise = db.execute(
        """INSERT INTO enterprise (uscc, name_zh, region_code, permit_number, permitted_totals, updated_by)
           VALUES ('91110105MA01LQAD9X', '负荷测试厂', '110105', '91110105MA01LQAD9X001P', '{"a21026": 1.0}', 'test')
           RETURNING id""").fetchone()[0]
    gas = db.execute(
        """INSERT INTO outlet (enterprise_id, code, name_zh, kind, limits, permitted_totals, updated_by)
           VALUES (%s, 'DA001', '锅炉排口', 'gas', '{"a21026": 200}', '{"a21026": 0.1}', 'test') RETURNING id""",
        (enterprise,)).fetchone()[0]
    water = db.execute(
        """INSERT INTO outlet (enterprise_id, code, name_zh, kind, limits, updated_by)
           VALUES (%s, 'DW001', '总排口', 'water', '{"w01018": 100}', 'test') RETURNING id""",
        (enterprise,)).fetchone()[0]
    # SO2 100 mg/m³ × 10 m³/s = 3.6 kg an hour: 24 h in January, 23 valid pairs on 1 June (flow calibrating at 05).
    _hours(db, gas, "a21026", "2015-01-10", [(100.0, "N")] * 24)
    _hours(db, gas, "a00000", "2015-01-10", [(10.0, "N")] * 24)
    _hours(db, gas, "a21026", "2015-06-01", [(100.0, "N")] * 24)
    _hours(db, gas, "a00000", "2015-06-01", [(10.0, "C") if h == 5 else (10.0, "N") for h in range(24)])
    # COD 50 mg/L × 2 L/s = 0.36 kg an hour, 10 hours.
    _hours(db, water, "w01018", "2015-06-02", [(50.0, "N")] * 10)
    _hours(db, water, "w00000", "2015-06-02", [(2.0, "N")] * 10)
    yield
    db.rollback()


def test_loads_sum_valid_pairs_and_compare_the_year_with_the_permits(db, plant):
    sql, args = sources.load_query(dt.date(2015, 6, 1), dt.date(2015, 6, 30), "Asia/Shanghai", "true", [])
    rows = {(r["outlet_code"], r["parameter_code"]): r
            for r in sources.emission_loads(db.execute(sql, args).fetchall()).to_dicts()}
    so2 = rows[("DA001", "a21026")]
    assert (so2["hours"], so2["hours_ytd"]) == (23, 47)
    assert so2["emitted_t"] == pytest.approx(0.0828) and so2["emitted_ytd_t"] == pytest.approx(0.1692)
    assert so2["permit_share"] == pytest.approx(1.692) and so2["permit_exceeded"] is True
    plant_so2 = rows[(sources.WHOLE_PLANT, "a21026")]
    assert plant_so2["emitted_ytd_t"] == pytest.approx(0.1692) and plant_so2["permitted_t"] == 1.0
    assert plant_so2["permit_exceeded"] is False
    cod = rows[("DW001", "w01018")]
    assert cod["emitted_t"] == pytest.approx(0.0036) and cod["permitted_t"] is None and cod["permit_share"] is None
    assert len(rows) == 3
    built = report(db, "source", **{"from": "2015-06-01", "to": "2015-06-30"})
    loads = built.tables[1]
    assert [r["outlet"] for r in loads.rows] == ["DA001 锅炉排口", "全厂合计", "DW001 总排口"]
    assert loads.rows[0]["permit_exceeded"] == "超许可排放量" and loads.rows[0]["permit_share"] == pytest.approx(169.2)
    assert "全厂合计" in render(built, "html").decode()
    cells = [c for row in sheet(render(built, "xlsx")) for c in row]
    assert "91110105MA01LQAD9X001P" in cells and "169.2" in cells


def test_loads_api_checks_the_range(api):
    client, headers = api
    bad = client.get("/api/v1/sources/loads", params={"from": "2015-06-30", "to": "2015-06-01"},
                     headers=headers["admin"])
    assert bad.status_code == 422
    ok = client.get("/api/v1/sources/loads", params={"from": "2015-06-01", "to": "2015-06-30"},
                    headers=headers["admin"])
    assert ok.status_code == 200 and ok.json()["meta"]["found"] == len(ok.json()["results"])
