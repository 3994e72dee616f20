"""`ecomon eval ecology`: HJ 192-2015 EI, grade and change degree on a CSV table of regions."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from ecomon.cli import app

runner = CliRunner()

HEADER = "region,biological_abundance,vegetation_cover,water_network,land_stress,pollution_load"


def rows(result):
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def evaluate(text, *options):
    return runner.invoke(app, ["eval", "ecology", *options, "-"], input=text)


def flat(ei: float) -> str:
    """Sub-indices whose EI is exactly `ei`: the three positive ones at `ei`, the two negative at 100 - ei
    (the weights sum to 1)."""
    up, down = f"{ei:g}", f"{100 - ei:g}"
    return f"R,{up},{up},{up},{down},{down}"


@pytest.mark.parametrize(
    ("ei", "text", "grade"),
    [
        (75, "75.00", "优"),
        (74.99, "74.99", "良"),
        (55, "55.00", "良"),
        (54.99, "54.99", "一般"),
        (35, "35.00", "一般"),
        (34.99, "34.99", "较差"),
        (20, "20.00", "较差"),
        (19.99, "19.99", "差"),
        (74.996, "75.00", "优"),  # graded on the published two-decimal value
    ],
)
def test_grade_table_edges(ei, text, grade):
    [row] = rows(evaluate(f"{HEADER}\n{flat(ei)}\n"))
    assert (row["EI"], row["grade"]) == (text, grade)


@pytest.mark.parametrize(
    ("values", "ei"),
    [
        ("100,0,0,100,100", "35.00"),  # biological abundance 0.35
        ("0,100,0,100,100", "25.00"),  # vegetation cover 0.25
        ("0,0,100,100,100", "15.00"),  # water network 0.15
        ("0,0,0,0,100", "15.00"),  # land stress 0.15, counted as 100 - index
        ("0,0,0,100,0", "10.00"),  # pollution load 0.10, counted as 100 - index
    ],
)
def test_weights(values, ei):
    [row] = rows(evaluate(f"{HEADER}\nR,{values}\n"))
    assert row["EI"] == ei


def test_chinese_headers_and_the_nantong_2017_published_value():
    text = (
        "行政区划代码,地区,生物丰度指数,植被覆盖指数,水网密度指数,土地胁迫指数,污染负荷指数\n"
        "320600,南通市,30.59,76.93,93.94,6.08,1.48\n"
    )
    [row] = rows(evaluate(text))
    assert (row["行政区划代码"], row["地区"], row["EI"], row["grade"]) == ("320600", "南通市", "67.97", "良")


def test_abbreviations_are_accepted():
    [row] = rows(evaluate("BAI,VCI,WDI,LSI,PLI\n30.59,76.93,93.94,6.08,1.48\n"))
    assert row["EI"] == "67.97"


@pytest.mark.parametrize(
    ("previous", "delta", "degree", "trend"),
    [
        ("49.01", "0.99", "无明显变化", ""),
        ("50.001", "0.00", "无明显变化", ""),  # no "-0.00"
        ("50.99", "-0.99", "无明显变化", ""),
        ("49", "1.00", "略微变化", "变好"),
        ("52.99", "-2.99", "略微变化", "变差"),
        ("53", "-3.00", "明显变化", "变差"),
        ("42.01", "7.99", "明显变化", "变好"),
        ("42", "8.00", "显著变化", "变好"),
        ("58", "-8.00", "显著变化", "变差"),
    ],
)
def test_change_degree_edges(previous, delta, degree, trend):
    [row] = rows(evaluate(f"{HEADER},previous_EI\n{flat(50)},{previous}\n"))
    assert (row["delta_EI"], row["change_degree"], row["trend"]) == (delta, degree, trend)


def test_restriction_lowers_the_grade_but_not_below_the_worst():
    result = evaluate(f"{HEADER},降级\n{flat(80)},1\n{flat(80)},\n{flat(15)},2\n")
    assert [(r["EI"], r["grade"]) for r in rows(result)] == [
        ("80.00", "良"),
        ("80.00", "优"),
        ("15.00", "差"),
    ]


def test_missing_sub_index_cell_leaves_the_row_unevaluated():
    result = evaluate(f"{HEADER},上年EI\nR,,1,1,1,1,50\n{flat(60)},\n")
    assert [(r["EI"], r["grade"], r["delta_EI"], r["change_degree"]) for r in rows(result)] == [
        ("", "", "", ""),
        ("60.00", "良", "", ""),
    ]


def test_json_to_a_file(tmp_path):
    target = tmp_path / "ei.json"
    result = evaluate(f"{HEADER},previous_EI\n{flat(60)},57\n", "--format", "json", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    [record] = json.loads(target.read_text(encoding="utf-8"))
    assert (record["region"], record["EI"], record["grade"], record["delta_EI"], record["change_degree"]) == (
        "R",
        60.0,
        "良",
        3.0,
        "明显变化",
    )


def test_csv_to_a_file_equals_stdout(tmp_path):
    target = tmp_path / "ei.csv"
    text = f"{HEADER}\n{flat(60)}\n"
    assert evaluate(text, "--output", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == evaluate(text).stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{HEADER}\n{flat(60)}\nR,60,x,60,40,40\n", "row 2, column vegetation_cover: 'x' is not a number"),
        (f"{HEADER}\nR,101,60,60,40,40\n", "row 1, column biological_abundance: '101' is outside"),
        (f"{HEADER}\nR,60,60,60,-1,40\n", "row 1, column land_stress: '-1' is outside"),
        ("region,BAI,VCI,WDI,LSI\nR,1,1,1,1\n", "no column for the sub-index pollution_load"),
        (f"{HEADER},BAI\nR,1,1,1,1,1,1\n", "columns biological_abundance and BAI both give"),
        (f"{HEADER},downgrade\n{flat(60)},1.5\n", "row 1, column downgrade: '1.5' is not a number of grades"),
        (f"{HEADER},previous_EI\n{flat(60)},120\n", "row 1, column previous_EI: '120' is outside"),
        (f"{HEADER},EI\n{flat(60)},1\n", "already has output column(s) EI"),
    ],
)
def test_bad_input_names_row_and_column_and_exits_2(text, message):
    result = evaluate(text)
    assert result.exit_code == 2 and message in result.stderr


def test_unknown_format_is_refused():
    assert evaluate(f"{HEADER}\n{flat(60)}\n", "--format", "xml").exit_code == 2
