"""parameters.csv / aliases.csv: HJ 212-2017 Appendix B factor codes, stored units, alias resolution."""

import pytest

from ecomon.registry.catalogue import CatalogueError, parameters, parse_parameters
from ecomon.registry.units import is_known

DOMAINS = frozenset({"air", "flue_gas", "water", "noise", "meteorology", "radiation", "ecology"})
HEADER = "code,element,name_zh,name_en,unit,legacy_code,decimals,hj212_type,molar_mass,source\n"
GOOD = "w01018,water,化学需氧量,COD,mg/L,011,1,N5.1,,HJ 212-2017 Table B.1\n"
ALIASES = "alias,code\nCOD,w01018\n"


@pytest.mark.parametrize(("code", "element", "unit", "legacy"), [
    ("w01018", "water", "mg/L", "011"),      # Table B.1 COD, old 011
    ("w21003", "water", "mg/L", "060"),      # Table B.1 NH3-N, old 060
    ("w20111", "water", "µg/L", "020"),      # Table B.1 total Hg in µg/L
    ("w00000", "water", "L/s", "B01"),       # Table B.1 wastewater flow
    ("a21026", "flue_gas", "mg/m³", "02"),   # Table B.2 SO2 in flue gas
    ("a34013", "flue_gas", "mg/m³", "01"),   # Table B.2 smoke dust
    ("a19001", "flue_gas", "%", "S01"),      # Table B.2 O2
    ("a00000", "flue_gas", "m³/s", "B02"),   # Table B.2 flue gas flow
])
def test_appendix_b_rows_with_legacy_codes(code, element, unit, legacy):
    parameter = parameters().get(code, element)
    assert (parameter.unit, parameter.legacy_code) == (unit, legacy)
    assert parameters().resolve(legacy) == code


@pytest.mark.parametrize(("code", "unit", "decimals"), [
    ("a34004", "µg/m³", 0), ("a34002", "µg/m³", 0), ("a21026", "µg/m³", 0), ("a21004", "µg/m³", 0),
    ("a05024", "µg/m³", 0), ("a21005", "mg/m³", 1),
])
def test_ambient_station_set_is_stored_in_gb3095_units(code, unit, decimals):
    parameter = parameters().get(code, "air")
    assert (parameter.unit, parameter.decimals) == (unit, decimals)


def test_same_factor_has_an_ambient_and_a_flue_gas_unit():
    assert parameters().get("a21026", "air").unit == "µg/m³"
    assert parameters().get("a21026", "flue_gas").unit == "mg/m³"
    with pytest.raises(KeyError, match="catalogued for air, flue_gas"):
        parameters().get("a21026", "water")


def test_noise_table_b3_codes_are_in_db():
    codes = {p.code for p in parameters().all if p.element == "noise"}
    assert codes == {"LA", "L5", "L10", "L50", "L90", "L95", "Leq", "Ldn", "Ld", "Ln", "LMx", "LMn"}
    assert all(parameters().get(c, "noise").unit == "dB" for c in codes)


def test_gamma_dose_rate_is_an_ecomon_local_code():
    gamma = parameters().get(parameters().resolve("gamma"), "radiation")
    assert gamma.local and gamma.code.startswith("x") and gamma.unit == "nGy/h"
    assert all(p.local == p.source.startswith("ecomon-local") for p in parameters().all)


@pytest.mark.parametrize(("name", "code"), [
    ("PM2.5", "a34004"), ("pm10", "a34002"), ("SO2", "a21026"), ("no2", "a21004"), ("CO", "a21005"),
    ("O3", "a05024"), ("NOx", "a21002"), ("NO", "a21003"), ("TEMP", "a01001"), ("PRES", "a01006"),
    ("WSPM", "a01007"), ("wd", "a01008"), ("pH", "w01001"), ("DO", "w01009"), ("CODMn", "w01019"),
    ("COD", "w01018"), ("BOD5", "w01017"), ("NH3-N", "w21003"), ("TP", "w21011"), ("TN", "w21001"),
    (" 氨氮 ", "w21003"), ("A21026", "a21026"), ("leq", "Leq"), ("DEWP", "x01001"), ("RAIN", "x01002"),
])
def test_aliases_resolve_case_insensitively(name, code):
    assert parameters().resolve(name) == code


def test_every_beijing_data_column_resolves():
    for column in ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "wd", "WSPM"):
        assert parameters().resolve(column) in parameters()


def test_unknown_name_is_refused():
    with pytest.raises(KeyError, match="'PM3' is not a known parameter"):
        parameters().resolve("PM3")


def test_every_unit_is_convertible_or_named_and_gases_have_molar_mass():
    assert all(is_known(p.unit) for p in parameters().all)
    for code in ("a21026", "a21004", "a21005", "a05024", "a21003"):
        assert parameters().get(code, "air").molar_mass


@pytest.mark.parametrize(("row", "field", "words"), [
    ("a2102,air,x,x,µg/m³,,0,,,s", "code", "neither an HJ 212"),
    ("a21026,soil,x,x,µg/m³,,0,,,s", "element", "not a parameter domain"),
    ("a21026,air,x,x,furlongs,,0,,,s", "unit", "not known"),
    ("a21026,air,x,x,µg/m³,,-1,,,s", "decimals", "negative"),
    ("a21026,air,x,x,µg/m³,,one,,,s", "decimals", "not a number"),
    ("a21026,air,x,x,µg/m³,,0,5.2,,s", "hj212_type", "N5.2"),
    ("a21026,air,x,x,µg/m³,,0,,heavy,s", "molar_mass", "not a number"),
    ("a21026,air,x,x,µg/m³,,0,,,", "source", "empty"),
    ("w01018,water,x,x,mg/L,,1,,,s", "code", "repeats line 2"),
    ("a21026,flue_gas,x,x,mg/m³,011,1,,,s", "legacy_code", "already names w01018"),
])
def test_bad_parameter_rows_name_line_and_field(row, field, words):
    with pytest.raises(CatalogueError) as caught:
        parse_parameters(HEADER + GOOD + row + "\n", ALIASES, DOMAINS)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("parameters.csv", 3, field)
    assert words in caught.value.reason


@pytest.mark.parametrize(("row", "field", "words"), [
    ("BOD,w01017", "code", "not a code in parameters.csv"),
    ("cod,w01018", "alias", "already names w01018 (aliases.csv line 2)"),
    ("011,w01018", "alias", "legacy code"),
    (",w01018", "alias", "empty"),
])
def test_bad_alias_rows_name_line_and_field(row, field, words):
    with pytest.raises(CatalogueError) as caught:
        parse_parameters(HEADER + GOOD, ALIASES + row + "\n", DOMAINS)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("aliases.csv", 3, field)
    assert words in caught.value.reason
