"""Construction targets and coverage rules: the Qingyuan plan (seed 000, attachment 1), evaluation."""

import pytest

from ecomon.registry.catalogue import CatalogueError, regions
from ecomon.registry.coverage import SiteCount, bundled_plan, evaluate, parse_plan
from ecomon.registry.vocabulary import vocabulary

PLAN = bundled_plan("qingyuan")
QINGYUAN_COUNTIES = ("441802", "441803", "441821", "441823", "441825", "441826", "441881", "441882")


def target(ident):
    return next(t for t in PLAN.targets if t.id == ident)


@pytest.mark.parametrize(("ident", "element", "site_types", "region", "baseline", "goal"), [
    ("air-urban", "air", ("urban",), "441800", 3, 5),                      # 城市站 3 → 5
    ("air-county", "air", ("county",), "441800", 18, 18),                  # 县级空气自动监测站 18 → 18
    ("air-roadside", "air", ("roadside",), "441800", 0, 1),                # 路边站 0 → 1
    ("water-drinking-sources", "drinking_water", ("source",), "441800", 12, 85),
    ("water-surface-auto", "surface_water", ("auto_station",), "441800", 1, 4),
    ("soil-quality", "soil", ("basic", "risk", "background"), "441800", 156, 156),
    ("noise-functional-qingxin", "noise", ("functional_zone",), "441803", 0, 7),
])
def test_attachment_1_rows(ident, element, site_types, region, baseline, goal):
    t = target(ident)
    assert (t.element, t.site_types, t.region, t.baseline, t.target, t.year) == \
        (element, site_types, region, baseline, goal, 2020)


def test_plan_header_and_the_one_approximate_target():
    assert (PLAN.region, PLAN.issued.isoformat(), PLAN.target_year) == ("441800", "2018-01-29", 2020)
    assert [t.id for t in PLAN.targets if t.approximate] == ["water-industrial-parks"]


def test_county_rule_of_section_2_1_1():
    (rule,) = PLAN.rules
    assert (rule.element, rule.scope, rule.level, rule.min_count) == ("air", "441800", "county", 2)
    assert rule.control_levels == ("national", "provincial", "city")


def counts(*rows):
    return [SiteCount(*row) for row in rows]


def test_current_gap_and_met_roll_up_from_townships_and_districts():
    report = evaluate([target("noise-functional"), target("noise-functional-qingcheng")], [], counts(
        ("noise", "functional_zone", "city", "441802", "active", 7),
        ("noise", "functional_zone", "city", "441803", "active", 3),
        ("noise", "functional_zone", "city", "441803", "building", 4),   # not yet counted
        ("noise", "road_traffic", "city", "441803", "active", 9),        # other type
    ), regions())
    city, qingcheng = report.targets
    assert (city.current, city.gap, city.met) == (10, 4, False)
    assert (qingcheng.current, qingcheng.gap, qingcheng.met) == (7, 0, True)


def test_control_level_filter_of_a_target():
    report = evaluate([target("air-urban")], [], counts(
        ("air", "urban", "national", "441802", "active", 3),
        ("air", "urban", "provincial", "441803", "active", 2),
        ("air", "urban", "city", "441803", "active", 4),                 # city-controlled: not in the target
    ), regions())
    assert (report.targets[0].current, report.targets[0].met) == (5, True)


def test_rule_violations_list_each_county_short_of_two_city_or_higher_stations():
    rows = [("air", "county", "city", code, "active", 2) for code in QINGYUAN_COUNTIES[2:]]
    rows += [("air", "urban", "national", "441802", "active", 3),
             ("air", "county", "county", "441803", "active", 5),          # county-controlled: does not count
             ("air", "micro", "city", "441803", "active", 1)]
    report = evaluate([], PLAN.rules, counts(*rows), regions())
    assert [(v.region, v.region_name_zh, v.required, v.found) for v in report.violations] == [
        ("441803", "清新区", 2, 1)]
    assert not report.all_met


def test_sixteen_county_stations_meet_the_rule_but_not_the_target_of_18():
    rows = [("air", "county", "city", code, "active", 2) for code in QINGYUAN_COUNTIES]
    report = evaluate([target("air-county")], PLAN.rules, counts(*rows), regions())
    assert report.violations == ()
    assert (report.targets[0].current, report.targets[0].gap, report.all_met) == (16, 2, False)
    report = evaluate([target("air-county")], PLAN.rules,
                      counts(*rows, ("air", "county", "city", "441881", "active", 2)), regions())
    assert report.all_met


def test_counts_in_unknown_regions_are_refused():
    with pytest.raises(ValueError, match="count row 1: region '441899' is not in the regions catalogue"):
        evaluate([target("air-county")], [], counts(("air", "county", "city", "441899", "active", 1)),
                 regions())


MINIMAL = """[plan]
id = "t"
title_zh = "测试"
title_en = "Test"
region = "441800"
issued = 2018-01-29
target_year = 2020
count_states = ["active"]
source = "test"

[[target]]
id = "a"
element = "air"
site_types = ["urban"]
region = "441800"
target = 5
note_zh = ""
source = "test"

[[rule]]
id = "r"
element = "air"
scope = "441800"
level = "county"
min_count = 2
text_zh = "至少2个"
source = "test"
"""


def test_minimal_plan_parses():
    plan = parse_plan(MINIMAL, "plan.toml", vocabulary(), regions())
    assert plan.targets[0].baseline is None and plan.targets[0].states == ("active",)


@pytest.mark.parametrize(("old", "new", "line", "field", "words"), [
    ('element = "air"\nsite_types', 'element = "wind"\nsite_types', 11, "element", "not an element"),
    ('site_types = ["urban"]', 'site_types = ["section"]', 11, "site_types", "not a site type of air"),
    ('site_types = ["urban"]', 'site_types = []', 11, "site_types", "must name the site types"),
    ('region = "441800"\ntarget', 'region = "441899"\ntarget', 11, "region", "not in the regions catalogue"),
    ("target = 5", "target = 5.5", 11, "target", "whole number"),
    ("target = 5", "target = -1", 11, "target", "below 0"),
    ('id = "r"', 'id = "a"', 20, "id", "repeats the entry on line 11"),
    ('level = "county"', 'level = "city"', 20, "level", "not a level below the scope's city"),
    ("min_count = 2", "min_count = 0", 20, "min_count", "below 1"),
    ('scope = "441800"', 'scope = "441800"\nstates = ["closed"]', 20, "states", "not a lifecycle state"),
    ("issued = 2018-01-29", 'issued = "2018"', 1, "issued", "must be a date"),
    ("target_year = 2020", "target_year = 2017", 1, "target_year", "below 2018"),
])
def test_bad_plan_entries_name_line_and_field(old, new, line, field, words):
    with pytest.raises(CatalogueError) as caught:
        parse_plan(MINIMAL.replace(old, new, 1), "plan.toml", vocabulary(), regions())
    assert (caught.value.source, caught.value.line, caught.value.field) == ("plan.toml", line, field)
    assert words in caught.value.reason


def test_chongqing_rules_cover_its_38_county_level_divisions():
    plan = bundled_plan("chongqing")
    assert plan.targets == () and len(plan.rules) == 5
    assert len(regions().descendants("500000", "county")) == 38
    air = next(rule for rule in plan.rules if rule.id == "air-county-min2")
    rows = [("air", "urban", "city", code, "active", 2) for code in regions().descendants("500000", "county")]
    report = evaluate([], [air], counts(*rows[1:]), regions())
    assert [(v.region, v.found) for v in report.violations] == [("500101", 0)]
