"""vocabulary.toml: M1 site elements and types, control levels, lifecycle transitions, key units, outlets."""

import pytest

from ecomon.registry.catalogue import CatalogueError
from ecomon.registry.vocabulary import TransitionError, check_transition, parse_vocabulary, vocabulary


def test_mission_m1_site_types_are_all_there():
    v = vocabulary()
    assert {"urban", "county", "roadside", "port", "vocs", "heavy_metal", "super", "micro"} <= \
        v.site_type_codes("air")
    assert v.site_type_codes("drinking_water") == {"source", "bio_toxicity"}
    assert v.site_type_codes("soil") == {"basic", "risk", "background"}
    assert v.site_type_codes("noise") == {"regional_grid", "road_traffic", "functional_zone"}
    assert {"gamma", "water", "electromagnetic"} <= v.site_type_codes("radiation")
    assert {"ground_station", "redline_area"} <= v.site_type_codes("ecology")
    assert {"point", "buoy"} <= v.site_type_codes("sea")
    assert v.site_type_codes("video") == {"camera"}


def test_beijing_site_categories_are_vocabulary_site_types():
    assert {"urban", "background"} <= vocabulary().site_type_codes("air")


def test_every_term_has_chinese_and_english_labels():
    v = vocabulary()
    for group in (v.elements, v.site_types, v.control_levels, v.states, v.key_unit_levels,
                  v.key_unit_categories, v.outlet_kinds, v.parameter_domains):
        for term in group:
            assert term.zh.strip() and term.en.strip()
    assert [c.code for c in v.control_levels] == ["national", "provincial", "city", "county"]
    assert {o.code: o.parameter_domain for o in v.outlet_kinds} == {"gas": "flue_gas", "water": "water"}


@pytest.mark.parametrize(("old", "new"), [
    ("planned", "building"), ("building", "active"), ("active", "suspended"), ("suspended", "active"),
    ("active", "retired"), ("suspended", "retired"), ("planned", "retired"), ("building", "retired"),
])
def test_allowed_lifecycle_transitions(old, new):
    transition = check_transition(old, new)
    assert (transition.from_state, transition.to_state) == (old, new) and transition.zh


@pytest.mark.parametrize(("old", "new", "words"), [
    ("planned", "active", "allowed from 'planned': building, retired"),
    ("retired", "active", "'retired' is final"),
    ("active", "planned", "cannot go from 'active' to 'planned'"),
    ("active", "active", "cannot go from 'active' to 'active'"),
    ("active", "closed", "'closed' is not a lifecycle state"),
    ("gone", "active", "'gone' is not a lifecycle state"),
    (None, "suspended", "a new site cannot start as 'suspended'"),
])
def test_refused_lifecycle_transitions(old, new, words):
    with pytest.raises(TransitionError, match=words):
        check_transition(old, new)


def test_registration_of_an_existing_station_as_active():
    assert check_transition(None, "active") is None


MINIMAL = """
[[element]]
code = "air"
zh = "环境空气"
en = "Ambient air"

[[site_type]]
element = "air"
code = "urban"
zh = "城市站"
en = "Urban"
source = "HJ 664-2013"

[[control_level]]
code = "city"
zh = "市控"
en = "City"

[[state]]
code = "active"
zh = "运行"
en = "Active"
initial = true

[[state]]
code = "retired"
zh = "撤销"
en = "Retired"
initial = false

[[transition]]
from = "active"
to = "retired"
zh = "撤销"
en = "Retire"

[[key_unit_level]]
code = "city"
zh = "市级"
en = "City"

[[key_unit_category]]
code = "air"
zh = "大气"
en = "Air"

[[parameter_domain]]
code = "air"
zh = "环境空气"
en = "Ambient air"

[[outlet_kind]]
code = "gas"
zh = "废气排放口"
en = "Gas outlet"
parameter_domain = "air"
"""


def test_minimal_vocabulary_parses():
    assert parse_vocabulary(MINIMAL).site_types[0].code == "urban"


@pytest.mark.parametrize(("old", "new", "line", "field", "words"), [
    ('element = "air"\ncode = "urban"', 'element = "water"\ncode = "urban"', 7, "element",
     "not an [[element]]"),
    ('code = "urban"', 'code = "Urban Station"', 7, "code", "not a code"),
    ('zh = "城市站"', 'zh = ""', 7, "zh", "must not be empty"),
    ('initial = true', 'initial = "yes"', 19, "initial", "true or false"),
    ('to = "retired"', 'to = "closed"', 31, "to", "not a [[state]] code"),
    ('from = "active"\nto = "retired"', 'from = "retired"\nto = "retired"', 31, "to",
     "must change the state"),
    ('parameter_domain = "air"', 'parameter_domain = "soil"', 52, "parameter_domain",
     "not a [[parameter_domain]]"),
    ('code = "retired"', 'code = "active"', 25, "code", "repeats the [[state]] entry on line 19"),
])
def test_bad_vocabulary_entries_name_line_and_field(old, new, line, field, words):
    with pytest.raises(CatalogueError) as caught:
        parse_vocabulary(MINIMAL.replace(old, new, 1), "vocabulary.toml")
    assert (caught.value.source, caught.value.line, caught.value.field) == ("vocabulary.toml", line, field)
    assert words in caught.value.reason


def test_invalid_toml_is_reported_with_the_file():
    with pytest.raises(CatalogueError, match="vocabulary.toml: not valid TOML"):
        parse_vocabulary("[[element]\ncode = 1", "vocabulary.toml")
