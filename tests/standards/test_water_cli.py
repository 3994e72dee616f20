"""`ecomon eval water`: the public CSV contract."""

import csv
import io

import pytest
from typer.testing import CliRunner

from ecomon.cli import app

runner = CliRunner()


def run(text, *options):
    return runner.invoke(app, ["eval", "water", "--standard", "GB3838-2002", *options, "-"], input=text)


def rows(result):
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_contract_example_do_sets_class_iii_and_ph_5_5_is_inferior_v():
    first, second = rows(run("id,pH,DO,NH3-N\n1,7.2,5.5,0.4\n2,5.5,8,0.1\n"))
    assert (first["id"], first["class"], first["status"], first["determining"]) == ("1", "III", "良好", "DO")
    assert (second["class"], second["status"], second["determining"]) == ("劣V", "重度污染", "pH")


def test_columns_pass_through_and_results_follow():
    result = run('site,note,NH3-N\nS1,"a, b",0.15\n')
    header = result.stdout.splitlines()[0]
    assert header == "site,note,NH3-N,class,status,determining,main_pollutants"
    assert rows(result)[0]["note"] == "a, b"


def test_target_class_gives_compliance_failing_items_and_multiples():
    text = "id,target_class,NH3-N,TP,DO\n1,III,1.5,0.44,4\n2,2,0.3,0.05,7\n3,,0.3,0.05,7\n"
    first, second, third = rows(run(text))
    assert (first["compliant"], first["failing"], first["exceedances"]) == (
        "false",
        "DO;NH3-N;TP",
        "NH3-N:0.50;TP:1.20",
    )
    assert (second["compliant"], second["failing"], second["exceedances"]) == ("true", "", "")
    assert third["compliant"] == ""


def test_lake_rows_use_the_lake_tp_limits_and_report_tn_separately():
    first, second = rows(run("waterbody,TP,TN\nlake,0.05,1.2\n河流,0.05,1.2\n"))
    assert (first["class"], first["TN_class"]) == ("III", "IV")
    assert (second["class"], second["TN_class"]) == ("II", "")
    assert rows(run("TP,TN\n0.05,1.2\n", "--waterbody", "lake"))[0]["class"] == "III"


def test_items_all_puts_tn_and_fecal_coliform_into_the_class():
    text = "NH3-N,fecal_coliform\n0.1,30000\n"
    assert rows(run(text))[0]["class"] == "I"
    assert rows(run(text))[0]["fecal_coliform_class"] == "V"
    assert rows(run(text, "--items", "all"))[0]["class"] == "V"


def test_hj212_codes_are_column_names_with_table_b1_units():
    # w20111 (Hg) is in µg/L in HJ 212 Table B.1: 0.08 µg/L = 0.00008 mg/L → class III
    first = rows(run("w01001,w21003,w20111\n7,0.1,0.08\n"))[0]
    assert (first["class"], first["determining"]) == ("III", "Hg")
    assert rows(run("w20111\n0.00008\n", "--code-units", "mg/L"))[0]["class"] == "III"


def test_drinking_water_source_zone():
    assert rows(run("NH3-N,Mn\n0.8,0.05\n", "--source-zone", "2"))[0]["source_compliant"] == "true"
    assert rows(run("NH3-N,Mn\n0.8,0.05\n", "--source-zone", "1"))[0]["source_compliant"] == "false"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,pH,COD\n1,7,12\n2,7,abc\n", "row 2, column COD: 'abc' is not a number"),
        ("id,NH3-N\n1,-0.1\n", "row 1, column NH3-N: '-0.1' is negative"),
        ("id,pH\n1,-1\n", "row 1, column pH"),
        ("id,temperature\n1,12\n", "no GB 3838 Table 1 column"),
        ("NH3-N,w21003\n1,1\n", "both give NH3-N"),
        ("target_class,NH3-N\nVI,1\n", "row 1, column target_class"),
    ],
)
def test_bad_input_names_row_and_column_and_exits_2(text, message):
    result = run(text)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_by_section_and_month_classes_the_period_mean():
    text = "section,month,NH3-N,DO,note\nA,01,0.9,6,x\nA,01,1.3,,y\nB,01,0.2,7,z\n"
    result = run(text, "--by", "section,month")
    assert result.stdout.splitlines()[0] == "section,month,NH3-N,DO,class,status,determining,main_pollutants"
    a, b = rows(result)
    assert (a["NH3-N"], a["DO"], a["class"]) == ("1.1", "6", "IV")  # mean 1.1 → IV although one sample is III
    assert (b["section"], b["class"]) == ("B", "II")


def test_by_names_a_missing_group_column():
    result = run("NH3-N\n1\n", "--by", "section")
    assert result.exit_code == 2 and "--by column section" in result.stderr
