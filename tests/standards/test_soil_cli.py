"""`ecomon eval soil`: GB 15618-2018 and GB 36600-2018 on CSV rows."""

import csv
import io

from typer.testing import CliRunner

from ecomon.cli import app

runner = CliRunner()


def run(text, standard, *options):
    return runner.invoke(app, ["eval", "soil", "--standard", standard, *options, "-"], input=text)


def rows(result):
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_gb15618_categories_by_ph_band_and_land():
    text = "id,pH,land,Cd,As\n1,6.0,水田,0.4,20\n2,6.0,其他,0.4,20\n3,5.5,other,1.6,20\n"
    paddy, other, strict = rows(run(text, "GB15618-2018"))
    assert (paddy["category"], paddy["over_screening"]) == ("优先保护类", "")
    assert (other["category"], other["over_screening"]) == ("安全利用类", "Cd:0.33")
    assert (strict["category"], strict["over_intervention"]) == ("严格管控类", "Cd:0.07")


def test_gb36600_land_class_from_option_or_column():
    text = "id,land_class,Pb\n1,1,500\n2,,500\n"
    first, second = rows(run(text, "GB36600-2018", "--land-class", "2"))
    assert (first["category"], second["category"]) == ("超筛选值", "低于筛选值")


def test_gb15618_needs_ph_and_rejects_unknown_land():
    assert "pH column is required" in run("Cd\n0.1\n", "GB15618-2018").stderr
    result = run("pH,land,Cd\n6,forest,0.1\n", "GB15618-2018")
    assert result.exit_code == 2 and "row 1, column land" in result.stderr
