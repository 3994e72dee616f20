"""regions.csv: GB/T 2260 divisions and GB/T 10114 townships, and the loader's row validation."""

import pytest

from ecomon.registry.catalogue import CatalogueError, parse_regions, regions

HEADER = "code,name_zh,name_en,level,parent_code\n"
BASE = HEADER + "110000,北京市,Beijing,province,\n110100,市辖区,Beijing (districts),city,110000\n"


def test_all_34_provincial_level_divisions_are_present():
    provinces = [r for r in regions().all if r.level == "province"]
    assert len(provinces) == 34
    codes = {r.code for r in provinces}
    assert {"110000", "440000", "500000", "650000", "710000", "810000", "820000"} <= codes


def test_beijing_has_16_districts_under_110100():
    districts = regions().descendants("110100", "county")
    assert len(districts) == 16
    assert {"110101", "110105", "110108", "110118", "110119"} <= set(districts)
    assert regions()["110119"].name_zh == "延庆区"


def test_qingyuan_county_level_divisions():
    table = regions()
    assert table["441800"].parent_code == "440000"
    assert dict((c, table[c].name_zh) for c in table.descendants("441800", "county")) == {
        "441802": "清城区", "441803": "清新区", "441821": "佛冈县", "441823": "阳山县",
        "441825": "连山壮族瑶族自治县", "441826": "连南瑶族自治县", "441881": "英德市", "441882": "连州市"}


def test_township_example_dongsi_subdistrict_rolls_up_to_beijing():
    assert regions().ancestors("110101006") == ("110101006", "110101", "110100", "110000")
    assert regions()["110101006"].name_zh == "东四街道"


def test_every_beijing_air_station_district_is_catalogued():
    import csv
    from pathlib import Path

    sites = Path(__file__).resolve().parents[2] / "data" / "beijing-air" / "sites.csv"
    with sites.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert regions()[row["district_code"]].name_zh == row["district_zh"]


@pytest.mark.parametrize(("row", "line", "field", "words"), [
    ("11010,东城区,Dongcheng,county,110100", 4, "code", "6-digit"),
    ("1101010011,x,x,township,110101", 4, "code", "6-digit"),
    ("110101,东城区,Dongcheng,district,110100", 4, "level", "not one of"),
    ("110101,东城区,Dongcheng,city,110000", 4, "level", "shape of a county"),
    ("110101,东城区,Dongcheng,county,110000", 4, "parent_code", "expected 110100"),
    ("120101,和平区,Heping,county,120100", 4, "parent_code", "not in the file"),
    ("110101,,Dongcheng,county,110100", 4, "name_zh", "empty"),
    ("110100,市辖区,again,city,110000", 4, "code", "repeats line 3"),
    ("110101,东城区,Dongcheng,county", 4, None, "4 fields"),
])
def test_bad_region_rows_name_file_line_and_field(row, line, field, words):
    with pytest.raises(CatalogueError) as caught:
        parse_regions(BASE + row + "\n", "regions.csv")
    error = caught.value
    assert (error.source, error.line, error.field) == ("regions.csv", line, field)
    assert words in error.reason
    assert str(error).startswith(f"regions.csv line {line}")


def test_township_needs_a_county_parent_unless_the_city_has_no_counties():
    text = BASE + "110101,东城区,Dongcheng,county,110100\n110101001,东华门街道,Donghuamen,township,110101\n"
    assert parse_regions(text)["110101001"].parent_code == "110101"
    dongguan = HEADER + "440000,广东省,Guangdong,province,\n441900,东莞市,Dongguan,city,440000\n" \
        "441900003,东城街道,Dongcheng Subdistrict,township,441900\n"
    assert parse_regions(dongguan)["441900003"].parent_code == "441900"


def test_wrong_header_is_reported_on_line_1():
    with pytest.raises(CatalogueError, match="line 1: header is code,name"):
        parse_regions("code,name,level\n110000,北京市,province\n")
