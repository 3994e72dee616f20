"""Stored soil, noise, radiation and water results (`env_result`): computed by the runner, replaced when inputs are
revised, read by the API; soil samples imported through the example mapping and judged by GB 15618 / GB 36600."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ecomon.evaluation import env_runner, gamma_stations, noise_zones
from tests.conftest import _fresh_database
from tests.evaluation.conftest import _tokens

TZ = "Asia/Shanghai"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "soil"
AUGUST = dt.date(2015, 8, 1)


@pytest.fixture(scope="session")
def env_url(platform_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """Own database: the registry, the example soil points and samples (imported like `ecomon import`), a
    functional-zone noise station, a gamma station and two water sections."""
    from ecomon.ingest.files.importer import import_bytes
    from ecomon.ingest.files.mapping import load_mapping
    from ecomon.registry import catalogue, store
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_env_results_test")
    migrate(url)
    with connect(url) as conn:
        store.load_regions(conn, catalogue.regions())
        store.load_parameters(conn, catalogue.parameters())
        with (EXAMPLE / "sites.csv").open(encoding="utf-8") as fh:
            store.upsert_sites(conn, csv.DictReader(fh), "test")
        conn.execute("SELECT ensure_observation_partitions('2014-08-01', '2026-12-31')")
        conn.commit()
        summary = import_bytes(conn, (EXAMPLE / "samples.csv").read_bytes(), "samples.csv",
                               load_mapping(EXAMPLE / "mapping.toml"), user="test",
                               archive_root=tmp_path_factory.mktemp("archive"), local_tz=TZ)
        assert (summary.rows_rejected, summary.values_rejected) == (0, 0)
        _seed_stations(conn)
        conn.commit()
    return url


def _station(conn: psycopg.Connection, code: str, element: str, site_type: str, attrs: dict,
             series: dict[str, list[tuple[str, float]]], target: str | None = None) -> None:
    site = conn.execute(
        """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, target_class, attrs,
                             updated_by)
           VALUES (%s, %s, %s, %s, 'city', '110105', %s, %s, 'test') RETURNING id""",
        (code, f"{code}站", element, site_type, target, json.dumps(attrs))).fetchone()[0]
    for parameter, values in series.items():
        series_id = conn.execute("""INSERT INTO series (site_id, parameter_code, interval_kind)
                                    VALUES (%s, %s, 'hour') RETURNING id""", (site, parameter)).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany("""INSERT INTO observation (series_id, t, value, channel, source_id, review_state)
                               VALUES (%s, %s, %s, 'manual', 0, 3)""", [(series_id, t, v) for t, v in values])


def _seed_stations(conn: psycopg.Connection) -> None:
    # Noise, zone 1 (GB 3096-2008 Table 1: day 55, night 45 dB(A)): August 3 day 16 h at 50 (complies), its night
    # 2 h at 50 and 6 h at 40 → 45.1 (exceeds by 0.1); August 4 day 12 h at 58 (complete, exceeds by 3.0).
    hours = [(f"2015-08-03T{h:02d}:00:00+08:00", 50.0) for h in range(6, 24)]
    hours += [(f"2015-08-04T{h:02d}:00:00+08:00", 40.0) for h in range(6)]
    hours += [(f"2015-08-04T{h:02d}:00:00+08:00", 58.0) for h in range(6, 18)]
    _station(conn, "NZ1", "noise", "functional_zone", {"zone": "1"}, {"Leq": hours})
    # Gamma: July 240 h alternating 80 / 90 nGy/h (baseline 85, σ 5.01 → investigation level 100.0), August 24 h.
    start = dt.datetime(2015, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    history = [((start + dt.timedelta(hours=i)).isoformat(), 80.0 if i % 2 else 90.0) for i in range(240)]
    period = [(f"2015-08-01T{h:02d}:00:00+08:00", 120.0 if h == 12 else 88.0) for h in range(24)]
    _station(conn, "GM1", "radiation", "gamma", {"background_low": 60.2, "background_high": 119.9},
             {"x02001": history + period})
    # Water, target III: NH3-N 1.2 mg/L is class IV (GB 3838-2002 Table 1: III ≤ 1.0, IV ≤ 1.5); DO 6 is class II.
    sample = "2015-08-05T10:00:00+08:00"
    _station(conn, "WS1", "water", "river", {"water_body": "示例河"},
             {"w21003": [(sample, 1.2)], "w01009": [(sample, 6.0)]}, target="III")
    _station(conn, "WS2", "water", "river", {"water_body": "示例河"},
             {"w21003": [(sample, 0.4)], "w01009": [(sample, 7.6)]}, target="II")


@pytest.fixture()
def env(env_url: str) -> Iterator[psycopg.Connection]:
    from ecomon.store.db import connect

    conn = connect(env_url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _watch_pass(conn: psycopg.Connection):
    """What one pass of `ecomon evaluate watch` does: rebuild dirty aggregates, then process the queues."""
    from ecomon.evaluation import runner
    from ecomon.store import aggregates

    aggregates.rebuild_dirty(conn, TZ)
    return runner.process_dirty(conn, TZ)


@pytest.fixture(scope="session")
def evaluated_env(env_url: str) -> str:
    """Soil through the dirty queue the import filled; noise, gamma and water of August 2015 by range."""
    from ecomon.store.db import connect

    with connect(env_url) as conn:
        counts = _watch_pass(conn)
        assert counts.env.written["soil"] == 6
        env_runner.evaluate(conn, AUGUST, dt.date(2015, 8, 31), TZ, elements=("noise", "radiation", "water"))
        conn.commit()
    return env_url


def _results(conn: psycopg.Connection, element: str, period: str) -> dict[str, dict]:
    rows = conn.execute(
        """SELECT s.code || '@' || r.period_start, r.rule_set, r.verdict, r.verdict_code, r.compliant, r.value,
                  r.inputs_valid, r.inputs_expected, r.detail, r.review_state
           FROM env_result r JOIN site s ON s.id = r.site_id WHERE r.element = %s AND r.period = %s""",
        (element, period)).fetchall()
    keys = ("rule_set", "verdict", "verdict_code", "compliant", "value", "inputs_valid", "inputs_expected", "detail",
            "review_state")
    return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows}


def test_import_queues_the_soil_points_for_evaluation(env_url, env):
    from ecomon.evaluation.soil_samples import ITEM_CODES

    assert set(ITEM_CODES) | {"x05001"} == {
        code for (code,) in env.execute("SELECT code FROM parameter WHERE element = 'soil'").fetchall()}
    # BaP arrives in µg/kg and is stored in mg/kg.
    assert env.execute("""SELECT o.value FROM observation o JOIN series se ON se.id = o.series_id
                          JOIN site s ON s.id = se.site_id WHERE s.code = 'SOIL-CY-01'
                          AND se.parameter_code = 'x05109'""").fetchone()[0] == pytest.approx(0.3)


def test_soil_samples_by_land_use(evaluated_env, env):
    soil = _results(env, "soil", "sample")
    # GB 15618-2018, paddy at pH 5.2: all below Table 1 → 优先保护类.
    first = soil["SOIL-TZ-01@2026-04-15"]
    assert (first["rule_set"], first["verdict"], first["compliant"], first["value"]) == (
        "GB15618-2018", "优先保护类", True, 5.2)
    assert (first["inputs_valid"], first["inputs_expected"]) == (8, 8)
    # Cd 0.45 > 0.3 (paddy, pH ≤ 5.5) but ≤ 1.5 (Table 3) → 安全利用类, multiple (0.45 − 0.3)/0.3 = 0.5.
    later = soil["SOIL-TZ-01@2026-10-15"]
    assert (later["verdict"], later["detail"]["over_screening"], later["detail"]["over_intervention"]) == (
        "安全利用类", {"Cd": 0.5}, {})
    # Upland (other) at pH 7.9: Cd 4.6 > 0.6 and > 4.0 → 严格管控类.
    upland = soil["SOIL-SY-01@2026-04-16"]
    assert (upland["verdict"], upland["verdict_code"], upland["detail"]["over_intervention"]) == (
        "严格管控类", 2, {"Cd": 0.15})
    # Orchard at pH 6.8: Cu 180 ≤ 200 (orchard row; the other-land row would be 100).
    assert soil["SOIL-FS-01@2026-04-17"]["verdict"] == "优先保护类"
    # GB 36600-2018 first-class land: Pb 450 > 400 screening, ≤ 800 intervention → 超筛选值.
    residential = soil["SOIL-CY-01@2026-05-20"]
    assert (residential["rule_set"], residential["verdict"], residential["detail"]["over_screening"]) == (
        "GB36600-2018", "超筛选值", {"Pb": 0.12})
    assert residential["inputs_valid"] == 9 and residential["detail"]["land_class"] == 1
    # Second-class land: benzene 45 > 40 intervention → 超管制值 (BaP 1.2 ≤ 1.5 complies).
    industrial = soil["SOIL-HD-01@2026-05-21"]
    assert (industrial["verdict"], industrial["detail"]["over_intervention"]) == ("超管制值", {"benzene": 0.12})
    assert "BaP" not in industrial["detail"]["over_screening"]


def test_soil_point_without_land_use_is_reported_not_guessed(evaluated_env, env):
    env.execute("UPDATE site SET attrs = '{}' WHERE code = 'SOIL-FS-01'")
    counts = env_runner.evaluate(env, dt.date(2026, 4, 17), dt.date(2026, 4, 17), TZ, elements=("soil",))
    site_id = env.execute("SELECT id FROM site WHERE code = 'SOIL-FS-01'").fetchone()[0]
    assert counts.written["soil"] == 0 and "no attrs.land_use" in counts.skipped[site_id]
    assert "SOIL-FS-01@2026-04-17" not in _results(env, "soil", "sample")


def test_a_revised_sample_replaces_its_result(evaluated_env, tmp_path):
    from ecomon.ingest.files.importer import import_bytes
    from ecomon.ingest.files.mapping import load_mapping
    from ecomon.store.db import connect

    header = (EXAMPLE / "samples.csv").read_text(encoding="utf-8").splitlines()[0]
    corrected = f"{header}\nSOIL-SY-01,2026-04-16,,0.5,,,,,,,,,,\n"   # laboratory correction of the Cd value
    with connect(evaluated_env) as conn:
        import_bytes(conn, corrected.encode(), "correction.csv", load_mapping(EXAMPLE / "mapping.toml"),
                     user="test", archive_root=tmp_path, local_tz=TZ)
        assert _watch_pass(conn).env.written["soil"] == 1
        conn.commit()
        upland = _results(conn, "soil", "sample")["SOIL-SY-01@2026-04-16"]
    assert (upland["verdict"], upland["compliant"]) == ("优先保护类", True)


def test_noise_periods_and_month_are_stored(evaluated_env, env):
    periods = {**_results(env, "noise", "day"), **{k + "/night": v for k, v in _results(env, "noise", "night").items()}}
    day = periods["NZ1@2015-08-03"]
    assert (day["value"], day["inputs_valid"], day["inputs_expected"], day["verdict"]) == (50.0, 16, 16, "达标")
    night = periods["NZ1@2015-08-03/night"]
    assert (night["value"], night["verdict"], night["detail"]["exceedance"]) == (45.1, "超标", 0.1)
    late = periods["NZ1@2015-08-04"]
    assert (late["inputs_valid"], late["detail"]["complete"], late["verdict"]) == (12, True, "超标")
    month = _results(env, "noise", "month")["NZ1@2015-08-01"]
    assert (month["rule_set"], month["compliant"], month["inputs_valid"], month["inputs_expected"]) == (
        "GB3096-2008", False, 3, 62)
    assert (month["detail"]["day_periods"], month["detail"]["day_compliant"], month["detail"]["day_rate"]) == (
        2, 1, 50.0)
    assert (month["detail"]["night_periods"], month["detail"]["night_rate"]) == (1, 0.0)


def test_noise_revision_reaches_the_stored_month(evaluated_env):
    """A revised night hour of 1 September (it belongs to the night of 31 August) is queued by the writers'
    aggregate_dirty and recomputes August."""
    from ecomon.evaluation import runner
    from ecomon.store.db import connect

    with connect(evaluated_env) as conn:
        series = conn.execute("""SELECT se.id FROM series se JOIN site s ON s.id = se.site_id
                                 WHERE s.code = 'NZ1'""").fetchone()[0]
        conn.execute("""INSERT INTO observation (series_id, t, value, channel, source_id, review_state)
                        SELECT %s, t, 40.0, 'manual', 0, 3 FROM generate_series(
                            '2015-08-31T22:00:00+08:00'::timestamptz, '2015-09-01T05:00:00+08:00', '1 hour') t""",
                     (series,))
        conn.execute("INSERT INTO aggregate_dirty (series_id, day) VALUES (%s, '2015-09-01')", (series,))
        counts = runner.process_dirty(conn, TZ)
        assert counts.env.written["noise"] > 0
        night = _results(conn, "noise", "night")["NZ1@2015-08-31"]
        assert (night["value"], night["inputs_valid"], night["verdict"]) == (40.0, 8, "达标")
        month = _results(conn, "noise", "month")["NZ1@2015-08-01"]
        assert (month["detail"]["night_periods"], month["detail"]["night_rate"]) == (2, 50.0)
        conn.rollback()


def test_gamma_and_water_months_are_stored(evaluated_env, env):
    gamma = _results(env, "radiation", "month")["GM1@2015-08-01"]
    assert (gamma["rule_set"], gamma["value"], gamma["inputs_valid"], gamma["inputs_expected"]) == (
        gamma_stations.RULE_SET, 89.3, 24, 744)
    assert (gamma["verdict"], gamma["detail"]["investigation_level"], gamma["detail"]["above_investigation"]) == (
        "正常", 100.0, 1)
    water = _results(env, "water", "month")
    assert (water["WS1@2015-08-01"]["verdict"], water["WS1@2015-08-01"]["verdict_code"],
            water["WS1@2015-08-01"]["compliant"]) == ("IV", 4, False)
    assert water["WS1@2015-08-01"]["detail"]["main_pollutants"].startswith("NH3-N")
    assert (water["WS2@2015-08-01"]["verdict"], water["WS2@2015-08-01"]["compliant"]) == ("II", True)


def test_rerunning_replaces_instead_of_adding(evaluated_env, env):
    before = env.execute("SELECT element, count(*) FROM env_result GROUP BY 1 ORDER BY 1").fetchall()
    env_runner.evaluate(env, AUGUST, dt.date(2015, 8, 31), TZ)
    env_runner.evaluate(env, dt.date(2026, 4, 1), dt.date(2026, 10, 31), TZ, elements=("soil",))
    assert env.execute("SELECT element, count(*) FROM env_result GROUP BY 1 ORDER BY 1").fetchall() == before


@pytest.fixture(scope="session")
def env_api(evaluated_env: str):
    from fastapi.testclient import TestClient

    from ecomon.web.app import create_app

    tokens = asyncio.run(_tokens(evaluated_env))
    with TestClient(create_app(evaluated_env)) as client:
        yield client, {label: {"Authorization": f"Bearer {token}"} for label, token in tokens.items()}


def _computed(env: psycopg.Connection) -> tuple[list[dict], list[dict]]:
    sql, args = noise_zones.hourly_query(AUGUST, dt.date(2015, 8, 31), TZ, "true", [])
    noise = noise_zones.compliance(noise_zones.period_levels(env.execute(sql, args).fetchall())).to_dicts()
    sql, args = gamma_stations.hourly_query(AUGUST, dt.date(2015, 8, 31), TZ, "true", [])
    return noise, gamma_stations.station_summary(env.execute(sql, args).fetchall()).to_dicts()


def test_api_reads_stored_results_identical_to_computed_ones(env_api, env):
    client, headers = env_api
    month = {"from": "2015-08-01", "to": "2015-08-31"}
    noise = client.get("/api/v1/noise/zones", params=month, headers=headers["admin"]).json()
    gamma = client.get("/api/v1/radiation/gamma", params=month, headers=headers["admin"]).json()
    assert (noise["meta"]["source"], gamma["meta"]["source"]) == ("stored", "stored")
    noise_now, gamma_now = _computed(env)
    assert noise["results"] == json.loads(json.dumps(noise_now, default=str))
    assert gamma["results"] == json.loads(json.dumps(gamma_now, default=str))
    partial = client.get("/api/v1/radiation/gamma", params={"from": "2015-08-01", "to": "2015-08-15"},
                         headers=headers["admin"]).json()
    assert partial["meta"]["source"] == "computed" and partial["results"][0]["mean"] == 89.3
    water = client.get("/api/v1/water/sections", params={"month": "2015-08"}, headers=headers["admin"]).json()
    assert water["meta"]["source"] == "stored"
    assert {r["code"]: (r["class"], r["compliant"]) for r in water["results"]} == {
        "WS1": ("IV", False), "WS2": ("II", True)}
    bodies = client.get("/api/v1/water/bodies", params={"month": "2015-08"}, headers=headers["admin"]).json()
    assert bodies["meta"]["source"] == "stored" and bodies["rivers"][0]["name"] == "示例河"


def test_api_soil_samples_and_scope(env_api):
    client, headers = env_api
    span = {"from": "2026-01-01", "to": "2026-12-31"}
    answer = client.get("/api/v1/soil/samples", params=span, headers=headers["admin"]).json()
    by_code = {(r["code"], r["date"]): r for r in answer["results"]}
    assert by_code[("SOIL-HD-01", "2026-05-21")]["category"] == "超管制值"
    assert by_code[("SOIL-TZ-01", "2026-04-15")]["rule_set"] == "GB15618-2018"
    # 朝阳区 staff see the 朝阳 point only; the public sees no sample built from unreleased data.
    chaoyang = client.get("/api/v1/soil/samples", params=span, headers=headers["chaoyang"]).json()
    assert {r["code"] for r in chaoyang["results"]} == {"SOIL-CY-01"}
    public = client.get("/api/v1/soil/samples", params=span, headers=headers["public_user"]).json()
    assert public["results"] == []
    assert client.get("/api/v1/soil/samples", params={"from": "2026-12-31", "to": "2026-01-01"},
                      headers=headers["admin"]).status_code == 422


def _report(conn: psycopg.Connection, kind: str, month: str, scopes=None):
    from ecomon.reports import catalogue
    from ecomon.reports.fetch import run_sync
    from ecomon.reports.model import FULL_ACCESS

    prepared = catalogue.prepare(kind, {"month": month}, TZ, scopes or FULL_ACCESS)
    return prepared.build(run_sync(conn, prepared.queries))


def _sheet(content: bytes) -> list[list[str]]:
    import io

    import polars as pl

    frame = pl.read_excel(io.BytesIO(content), engine="calamine", has_header=False, infer_schema_length=0)
    return [["" if v is None else str(v) for v in row] for row in frame.iter_rows()]


def test_noise_report_tables_by_zone_class_and_station(evaluated_env, env):
    from ecomon.reports.render import render

    built = _report(env, "noise", "2015-08")
    zones, stations = built.tables
    one, total = zones.rows
    assert (one["zone"], one["stations"], one["day_periods"], one["day_compliant"], one["day_rate"]) == (
        "1类", 1, 2, 1, 50.0)
    assert (one["night_periods"], one["night_compliant"], one["night_rate"]) == (1, 0, 0.0)
    assert total["zone"] == "合计" and total["day_periods"] == 2
    station = stations.rows[0]
    assert (station["name_zh"], station["day_limit"], station["night_limit"], station["night_leq"],
            station["verdict"]) == ("NZ1站", 55, 45, 45.1, "超标")
    rows = _sheet(render(built, "xlsx"))
    assert rows[0][0] == "功能区声环境质量月报" and "2015年08月" in rows[1][0]
    header = next(r for r in rows if r[0] == "功能区类别")
    assert header[2:5] == ["昼间监测点次", "昼间达标点次", "昼间达标率\n(%)"]
    assert any("GB 3096-2008" in cell for row in rows for cell in row)
    html = render(built, "html").decode()
    assert "各类功能区声环境质量达标情况" in html and "NZ1站" in html and "dB(A)" in html
    assert _report(env, "noise", "2015-09").tables[0].rows == []


def test_gamma_report_with_baseline_and_background(evaluated_env, env):
    from ecomon.reports.render import render

    built = _report(env, "radiation", "2015-08")
    row = built.tables[0].rows[0]
    assert (row["name_zh"], row["coverage"], row["mean"], row["range"], row["investigation_level"],
            row["above_investigation"], row["background"], row["background_verdict"]) == (
        "GM1站", 24, 89.3, "88.0～120.0", 100.0, 1, "60.2～119.9", "正常")
    rows = _sheet(render(built, "xlsx"))
    assert rows[0][0] == "环境γ辐射空气吸收剂量率月报"
    assert any(r[0] == "GM1站" for r in rows) and any("nGy/h" in cell for r in rows for cell in r)
    assert "调查水平" in render(built, "html").decode()


def test_reports_are_scoped_like_the_results(evaluated_env, env):
    """A user of another district sees no station; the public sees only results of released data."""
    from ecomon.reports.model import Scopes
    from ecomon.web.api.evaluation import results_condition
    from ecomon.web.auth.principal import Principal

    haidian = Principal(1, "h", "department", "110108", via="token", scopes=frozenset({"read"}))
    scopes = Scopes(results=results_condition(haidian))
    assert _report(env, "radiation", "2015-08", scopes).tables[0].rows == []
    public = Principal(2, "p", "public", None, via="token", scopes=frozenset({"read"}))
    released = _report(env, "radiation", "2015-08", Scopes(results=results_condition(public)))
    assert [r["code"] for r in released.tables[0].rows] == ["GM1"]   # its hours were stored as released


def test_report_cli_writes_both_formats(evaluated_env, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ecomon.cli import app
    from ecomon.config import reset_settings

    monkeypatch.setenv("ECOMON_DATABASE_URL", evaluated_env)
    reset_settings()
    try:
        for kind in ("noise", "radiation"):
            for fmt in ("xlsx", "html"):
                out = tmp_path / f"{kind}.{fmt}"
                result = CliRunner().invoke(app, ["report", kind, "--month", "2015-08", "--format", fmt,
                                                  "--output", str(out)])
                assert result.exit_code == 0, result.output
                assert out.stat().st_size > 1000
    finally:
        reset_settings()


def test_soil_report_lists_every_sample_with_its_standard(evaluated_env, env):
    from ecomon.reports import catalogue
    from ecomon.reports.fetch import run_sync
    from ecomon.reports.model import FULL_ACCESS
    from ecomon.reports.render import render

    prepared = catalogue.prepare("soil", {"from": "2026-01-01", "to": "2026-12-31"}, TZ, FULL_ACCESS)
    built = prepared.build(run_sync(env, prepared.queries))
    rows = {(r["name_zh"], r["date"]): r for r in built.tables[0].rows}
    industrial = rows[("海淀示例工业用地点", "2026-05-21")]
    assert (industrial["land"], industrial["rule_set"], industrial["over_intervention"], industrial["verdict"]) == (
        "建设用地（第2类）", "GB36600-2018", "苯(0.12)", "超管制值")
    paddy = rows[("通州示例水田点", "2026-10-15")]
    assert (paddy["land"], paddy["pH"], paddy["Cd"], paddy["over_screening"], paddy["items"]) == (
        "农用地（水田）", 5.3, 0.45, "Cd(0.50)", "8/8")
    sheet = _sheet(render(built, "xlsx"))
    assert sheet[0][0] == "土壤污染风险评价结果" and any("GB 15618-2018" in c for r in sheet for c in r)
    with pytest.raises(ValueError, match="ascending range"):
        catalogue.prepare("soil", {"from": "2026-12-31", "to": "2026-01-01"}, TZ, FULL_ACCESS)


def test_evaluate_env_command(evaluated_env, monkeypatch):
    from typer.testing import CliRunner

    from ecomon.cli import app
    from ecomon.config import reset_settings

    monkeypatch.setenv("ECOMON_DATABASE_URL", evaluated_env)
    reset_settings()
    try:
        result = CliRunner().invoke(app, ["evaluate", "env", "--from", "2015-08-01", "--to", "2015-08-31",
                                          "--element", "noise", "--element", "radiation"])
        assert result.exit_code == 0, result.output
        assert "4 noise" in result.output and "1 radiation" in result.output   # 3 periods with data + the month
        wrong = CliRunner().invoke(app, ["evaluate", "env", "--from", "2015-08-01", "--to", "2015-08-31",
                                         "--element", "air"])
        assert wrong.exit_code == 2 and "unknown element" in wrong.output
    finally:
        reset_settings()


def test_farmland_sample_without_ph_is_stored_unassessed(evaluated_env, env):
    """GB 15618-2018 values depend on pH: without it the sample is kept, with no category and the reason."""
    env.execute("""INSERT INTO observation (series_id, t, value, channel, source_id)
                   SELECT se.id, '2026-06-01T00:00:00+08:00', 0.2, 'manual', 0 FROM series se
                   JOIN site s ON s.id = se.site_id WHERE s.code = 'SOIL-TZ-01' AND se.parameter_code = 'x05002'""")
    env_runner.evaluate(env, dt.date(2026, 6, 1), dt.date(2026, 6, 1), TZ, elements=("soil",))
    sample = _results(env, "soil", "sample")["SOIL-TZ-01@2026-06-01"]
    assert (sample["verdict"], sample["compliant"], sample["inputs_valid"], sample["detail"]["missing"]) == (
        None, None, 1, "pH")
    from ecomon.reports import catalogue
    from ecomon.reports.fetch import run_sync
    from ecomon.reports.model import FULL_ACCESS

    prepared = catalogue.prepare("soil", {"from": "2026-06-01", "to": "2026-06-30"}, TZ, FULL_ACCESS)
    assert prepared.build(run_sync(env, prepared.queries)).tables[0].rows[0]["verdict"] == "未评价（缺少pH）"


def test_sites_csv_attrs_are_merged_and_checked(evaluated_env, env):
    """The registry's sites CSV carries the land use the soil evaluation reads (`attrs`, a JSON object)."""
    from ecomon.registry import store

    row = {"code": "SOIL-CY-01", "name_zh": "朝阳示例住宅用地点", "element": "soil", "site_type": "risk",
           "control_level": "city", "region_code": "110105"}
    store.upsert_sites(env, [{**row, "attrs": '{"land_class": 2}'}], "test")
    assert env.execute("SELECT attrs FROM site WHERE code = 'SOIL-CY-01'").fetchone()[0] == {
        "land_use": "construction", "land_class": 2}
    for bad, message in (("{not json", "attrs is not JSON"), ("[1]", "attrs must be a JSON object")):
        with pytest.raises(ValueError, match=message):
            store.upsert_sites(env, [{**row, "attrs": bad}], "test")


def test_water_report_uses_the_stored_month(evaluated_env, env):
    """The stored class is what the report prints, even after the observations changed and before the watch
    service recomputed them."""
    env.execute("""UPDATE observation o SET value = 0.2 FROM series se JOIN site s ON s.id = se.site_id
                   WHERE o.series_id = se.id AND s.code = 'WS1' AND se.parameter_code = 'w21003'""")
    rows = {r["name_zh"]: r for r in _report(env, "water", "2015-08").tables[0].rows}
    assert (rows["WS1站"]["class"], rows["WS1站"]["compliant"]) == ("IV", False)
    env_runner.evaluate(env, AUGUST, AUGUST, TZ, elements=("water",))
    rows = {r["name_zh"]: r for r in _report(env, "water", "2015-08").tables[0].rows}
    assert rows["WS1站"]["class"] == "II"


def test_ecological_index_of_stored_years_with_change_and_restriction(env_url, env):
    """HJ 192-2015: EI = 0.35 BAI + 0.25 VCI + 0.15 WDI + 0.15 (100 − LSI) + 0.10 (100 − PLI); 优 ≥ 75, 良 55–75.
    2016: 21 + 17.5 + 6 + 12 + 9 = 65.5 → 良. 2017: 24.5 + 20 + 7.5 + 13.5 + 9.5 = 75.0 → 优 at its lower edge, one
    grade lower by the restriction → 良; ΔEI 9.5 ≥ 8 → 显著变化, 变好. 2018: two sub-indices missing → no EI."""
    def year(y: int, values: tuple) -> list[tuple[str, float]]:
        return [(f"{y}-06-30T00:00:00+08:00", v) for v in values]

    _station(env, "EC1", "ecology", "ground_station", {}, {
        "x03002": year(2016, (60,)) + year(2017, (70,)) + year(2018, (71,)),
        "x03003": year(2016, (70,)) + year(2017, (80,)) + year(2018, (81,)),
        "x03004": year(2016, (40,)) + year(2017, (50,)),
        "x03005": year(2016, (20,)) + year(2017, (10,)) + year(2018, (12,)),
        "x03006": year(2016, (10,)) + year(2017, (5,)),
        "x03007": year(2017, (1,)),
    })
    counts = env_runner.evaluate(env, dt.date(2016, 1, 1), dt.date(2018, 12, 31), TZ, elements=("ecology",))
    assert counts.written["ecology"] == 3
    got = _results(env, "ecology", "year")
    first, second, third = (got[f"EC1@{y}-01-01"] for y in (2016, 2017, 2018))
    assert (first["value"], first["verdict"], first["verdict_code"], first["rule_set"]) == (65.5, "良", 1, "HJ192-2015")
    assert "delta_ei" not in first["detail"]
    assert (second["value"], second["verdict"], second["detail"]["downgrade"]) == (75.0, "良", 1)
    assert (second["detail"]["delta_ei"], second["detail"]["change"], second["detail"]["trend"]) == (9.5, "显著变化",
                                                                                                   "变好")
    assert third["value"] is None and third["verdict"] is None and third["inputs_valid"] == 3
    assert sorted(third["detail"]["missing"]) == ["pollution_load", "water_network"]
    again = env_runner.evaluate(env, dt.date(2017, 1, 1), dt.date(2017, 12, 31), TZ, elements=("ecology",))
    assert again.written["ecology"] == 1 and len(_results(env, "ecology", "year")) == 3   # replaced, not added


def test_a_stored_sub_index_queues_its_year_and_the_next(env_url, env):
    """A yearly value written like any other (merge marks its local day dirty) reaches the watch pass: the year it
    belongs to and the next one, whose change is measured against it."""
    import polars as pl

    from ecomon.store.observations import merge, series_ids

    site = env.execute("""INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
                          VALUES ('EC2', 'EC2站', 'ecology', 'ground_station', 'county', '110105', 'test')
                          RETURNING id""").fetchone()[0]
    codes = ["x03002", "x03003", "x03004", "x03005", "x03006"]
    ids = series_ids(env, pl.DataFrame({"site_id": [site] * 5, "parameter": codes}), "raw")
    t = dt.datetime(2019, 6, 30, tzinfo=dt.UTC)
    values = pl.DataFrame({"parameter": codes, "value": [60.0, 70.0, 40.0, 20.0, 10.0]})
    rows = ids.join(values, on="parameter").with_columns(pl.lit(t).alias("t"),
                            pl.lit(None, pl.Utf8).alias("data_flag"), pl.lit(2, pl.Int16).alias("qc_flag"),
                            pl.lit(0, pl.Int64).alias("source_id"), pl.lit(None, pl.Int32).alias("row_no"))
    merge(env, rows.drop("site_id", "parameter"), channel="file", changed_by="test", local_tz=TZ)
    counts = _watch_pass(env)
    got = _results(env, "ecology", "year")
    assert counts.env.written["ecology"] == 1 and got["EC2@2019-01-01"]["value"] == 65.5   # 2020 has no data


def test_api_ecology_regions_by_year_and_scope(env_api, env_url):
    """Stored yearly EI through the API: grade and change as stored; 朝阳区 staff see their county's site only, and
    the public only years built from released sub-indices."""
    from ecomon.store.db import connect

    client, headers = env_api
    values = {code: [(f"{y}-06-30T00:00:00+08:00", v + y - 2020) for y in (2020, 2021)]
              for code, v in zip(("x03002", "x03003", "x03004", "x03005", "x03006"), (60, 70, 40, 20, 10), strict=True)}
    with connect(env_url) as conn:
        _station(conn, "ECY", "ecology", "ground_station", {}, values)
        _station(conn, "ECH", "ecology", "ground_station", {}, values)
        conn.execute("UPDATE site SET region_code = '110108' WHERE code = 'ECH'")
        conn.execute("""UPDATE observation SET review_state = 0 WHERE series_id IN (
                            SELECT se.id FROM series se JOIN site s ON s.id = se.site_id WHERE s.code = 'ECH')""")
        env_runner.evaluate(conn, dt.date(2020, 1, 1), dt.date(2021, 12, 31), TZ, elements=("ecology",))
        conn.commit()
    span = {"from": 2020, "to": 2021}
    answer = client.get("/api/v1/ecology/regions", params=span, headers=headers["admin"]).json()
    by_key = {(r["code"], r["year"]): r for r in answer["results"]}
    assert answer["meta"]["found"] == 4
    # 2020: 0.35·60 + 0.25·70 + 0.15·40 + 0.15·(100 − 20) + 0.10·(100 − 10) = 65.5 (良); 2021 each sub-index +1:
    # 0.35 + 0.25 + 0.15 − 0.15 − 0.10 = +0.5 → 66.0, ΔEI 0.5 → 无明显变化 (HJ 192-2015: |ΔEI| < 1).
    first, second = by_key[("ECY", 2020)], by_key[("ECY", 2021)]
    assert (first["ei"], first["grade"], first["rule_set"], first["sub_indices_stored"]) == (65.5, "良", "HJ192-2015", 5)
    assert (second["ei"], second["delta_ei"], second["change"]) == (66.0, 0.5, "无明显变化")
    chaoyang = client.get("/api/v1/ecology/regions", params=span, headers=headers["chaoyang"]).json()
    assert {r["code"] for r in chaoyang["results"]} == {"ECY"}
    public = client.get("/api/v1/ecology/regions", params=span, headers=headers["public_user"]).json()
    assert {r["code"] for r in public["results"]} == {"ECY"}
    assert client.get("/api/v1/ecology/regions", params={"from": 2021, "to": 2020},
                      headers=headers["admin"]).status_code == 422


def test_ecology_report_lists_the_stored_year(env_api, env):
    """The yearly report reads the years stored above (ECY, ECH of 2021): sub-indices, EI, grade and change."""
    from ecomon.reports import catalogue
    from ecomon.reports.fetch import run_sync
    from ecomon.reports.model import FULL_ACCESS
    from ecomon.reports.render import render

    prepared = catalogue.prepare("ecology", {"year": "2021"}, TZ, FULL_ACCESS)
    built = prepared.build(run_sync(env, prepared.queries))
    rows = {r["name_zh"]: r for r in built.tables[0].rows}
    assert set(rows) == {"ECY站", "ECH站"}
    assert (rows["ECY站"]["ei"], rows["ECY站"]["grade"], rows["ECY站"]["change"]) == (66.0, "良", "无明显变化")
    assert rows["ECY站"]["biological_abundance"] == 61.0
    sheet = _sheet(render(built, "xlsx"))
    assert any("生态质量年度评价表" in cell for row in sheet for cell in row)
    assert ["ECY站", "朝阳区", "61", "71", "41", "21", "11", "0", "66", "良", "0.5", "无明显变化", ""] in sheet
    client, headers = env_api
    download = client.get("/api/v1/reports/ecology", params={"year": "2021", "format": "xlsx"},
                          headers=headers["admin"])
    assert download.status_code == 200 and _sheet(download.content)[:-1] == sheet[:-1]   # all but "generated at"
    for bad in ("21", "20x1", "1800"):
        with pytest.raises(ValueError, match="year"):
            catalogue.prepare("ecology", {"year": bad}, TZ, FULL_ACCESS)
