"""Rivers and basins by the section-proportion method (环办〔2011〕22号) and lake trophic state (TLI(Σ)) from
stored section data, through the API query, the pure rating and the monthly water report."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ecomon.evaluation import water_bodies, water_sections
from ecomon.reports.render import render
from tests.evaluation.test_reports import report


def _site(db, code: str, attrs: dict, site_type: str, values: dict[str, float]) -> None:
    site = db.execute(
        """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, target_class, attrs,
                             updated_by)
           VALUES (%s, %s, 'water', %s, 'national', '110105', 'III', %s, 'test') RETURNING id""",
        (code, f"{code}断面", site_type, json.dumps(attrs))).fetchone()[0]
    for parameter, value in values.items():
        series = db.execute("""INSERT INTO series (site_id, parameter_code, interval_kind) VALUES (%s, %s, 'hour')
                               RETURNING id""", (site, parameter)).fetchone()[0]
        db.execute("""INSERT INTO observation (series_id, t, value, channel, source_id)
                      VALUES (%s, '2015-07-05T10:00:00+08:00', %s, 'manual', 0)""", (series, value))


@pytest.fixture()
def month(db):
    db.execute("SELECT ensure_observation_partitions('2015-07-01', '2015-07-31')")
    basin = {"basin": "海河流域"}
    # 清河: four class II sections (NH3-N 0.3) and one worse than V (3.0): 80 % I–III → 良好 by proportion.
    for i, nh3 in enumerate((0.3, 0.3, 0.3, 0.3, 3.0)):
        _site(db, f"QH{i}", {**basin, "water_body": "清河"}, "river_section", {"w21003": nh3})
    # 小河: two sections (0.4 → II, 1.2 → IV); below five, the mean 0.8 is rated: class III → 良好.
    for i, nh3 in enumerate((0.4, 1.2)):
        _site(db, f"XH{i}", {**basin, "water_body": "小河"}, "river_section", {"w21003": nh3})
    for i, tp in enumerate((0.04, 0.06)):
        _site(db, f"CSH{i}", {"water_body": "测试湖", "waterbody": "lake"}, "lake_point",
              {"w21011": tp, "w21001": 1.0, "x04001": 10.0, "x04002": 1.0, "w01019": 4.0})
    sql, args = water_sections.month_query(dt.date(2015, 7, 1), "Asia/Shanghai", "true", [])
    yield water_sections.classify_sections(db.execute(sql, args).fetchall())
    db.rollback()


def test_rivers_and_basin_by_section_proportion(month):
    rows = {(r["level"], r["name"]): r for r in water_bodies.river_status(month).to_dicts()}
    assert rows[("water_body", "清河")] == {"level": "water_body", "name": "清河", "sections": 5,
                                             "method": "proportion", "status": "良好", "share_good": 80.0,
                                             "share_inferior": 20.0}
    assert (rows[("water_body", "小河")]["method"], rows[("water_body", "小河")]["status"]) == ("mean", "良好")
    basin = rows[("basin", "海河流域")]
    # 7 sections: 5 in class I–III (71.4 % < 75), 1 worse than V (14.3 % < 20) → 轻度污染.
    assert (basin["sections"], basin["status"]) == (7, "轻度污染")
    assert basin["share_good"] == pytest.approx(500 / 7)
    assert len(rows) == 3        # lake points are not river sections


def test_lake_class_and_trophic_state(month):
    lake = water_bodies.lake_state(month).to_dicts()
    assert len(lake) == 1 and lake[0]["name"] == "测试湖" and lake[0]["points"] == 2
    # Means TP 0.05 (lake class III limit 0.05), CODMn 4 → II: class III. TLI(Σ) by hand from 总站生字〔2001〕090号:
    # chla 50.01, TP 45.71, TN 54.53, SD 51.18, CODMn 37.98 weighted by r² (1, .7056, .6724, .6889, .6889) = 48.0.
    assert (lake[0]["class"], lake[0]["status"], lake[0]["trophic"]) == ("III", "良好", "中营养")
    assert lake[0]["tli"] == pytest.approx(48.0, abs=0.1)


def test_monthly_water_report_holds_rivers_and_lakes(db, month):
    built = report(db, "water", month="2015-07")
    rivers, lakes = built.tables[1], built.tables[2]
    assert [(r["level"], r["name"], r["method"]) for r in rivers.rows][:2] == [
        ("河流", "清河", "断面水质类别比例法"), ("河流", "小河", "断面均值法")]
    assert lakes.rows[0]["trophic"] == "中营养"
    html = render(built, "html").decode()
    assert "海河流域" in html and "轻度污染" in html and "48.0" in html


def test_water_bodies_api(api):
    client, headers = api
    answer = client.get("/api/v1/water/bodies", params={"month": "2015-07"}, headers=headers["admin"])
    assert answer.status_code == 200 and set(answer.json()) == {"meta", "rivers", "lakes"}
    assert client.get("/api/v1/water/bodies", params={"month": "2015-13"},
                      headers=headers["admin"]).status_code == 422
