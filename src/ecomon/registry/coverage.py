"""Construction targets and coverage rules of a monitoring-network plan, and their evaluation.

City plans (seed attachments) fix how many sites of each element and type a city or district must have by a
year ("targets"), and minimum coverage per administrative division such as "every county has at least two
city-controlled air stations" ("rules"). A plan file (``data/targets-<city>.toml``) holds both; the caller
supplies current site counts per (element, site type, control level, region, state) — from the database —
and :func:`evaluate` reports target / current / gap / met per target and every division breaking a rule.
Counts roll up the region tree: a site in a township counts for its county, city and province.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecomon.registry.catalogue import LEVELS, CatalogueError, RegionTable, read_data, regions
from ecomon.registry.vocabulary import TomlTables, Vocabulary, vocabulary


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    element: str
    site_types: tuple[str, ...]
    control_levels: tuple[str, ...]  # empty: any control level
    region: str
    year: int
    target: int
    baseline: int | None  # sites existing when the plan was issued
    approximate: bool  # the plan says 约 (about)
    states: tuple[str, ...]  # lifecycle states counted as current
    note_zh: str
    source: str


@dataclass(frozen=True, slots=True)
class CoverageRule:
    id: str
    element: str
    site_types: tuple[str, ...]  # empty: any type of the element
    control_levels: tuple[str, ...]  # empty: any control level
    scope: str  # region whose divisions must each comply
    level: str  # level of those divisions (e.g. county)
    min_count: int
    states: tuple[str, ...]
    text_zh: str
    source: str


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    title_zh: str
    title_en: str
    region: str
    issued: dt.date
    target_year: int
    source: str
    targets: tuple[Target, ...]
    rules: tuple[CoverageRule, ...]


@dataclass(frozen=True, slots=True)
class SiteCount:
    """Number of registered sites with one combination of attributes (one row of the caller's query)."""

    element: str
    site_type: str
    control_level: str
    region: str
    state: str
    count: int


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: Target
    current: int
    gap: int  # sites still missing (0 when met)
    met: bool


@dataclass(frozen=True, slots=True)
class Violation:
    rule: CoverageRule
    region: str
    region_name_zh: str
    required: int
    found: int


@dataclass(frozen=True, slots=True)
class CoverageReport:
    targets: tuple[TargetResult, ...]
    violations: tuple[Violation, ...]

    @property
    def all_met(self) -> bool:
        return not self.violations and all(result.met for result in self.targets)


def _matches(count: SiteCount, element: str, site_types: tuple[str, ...], control_levels: tuple[str, ...],
             states: tuple[str, ...]) -> bool:
    return (count.element == element
            and (not site_types or count.site_type in site_types)
            and (not control_levels or count.control_level in control_levels)
            and count.state in states)


def evaluate(targets: Iterable[Target], rules: Iterable[CoverageRule], counts: Iterable[SiteCount],
             region_table: RegionTable) -> CoverageReport:
    """Compare current site counts with each target and each division covered by each rule."""
    rows: list[tuple[SiteCount, frozenset[str]]] = []
    for number, count in enumerate(counts, start=1):
        if count.region not in region_table:
            raise ValueError(f"count row {number}: region {count.region!r} is not in the regions catalogue")
        if count.count < 0:
            raise ValueError(f"count row {number}: count {count.count} is negative")
        rows.append((count, frozenset(region_table.ancestors(count.region))))

    def total(region: str, element: str, site_types: tuple[str, ...], control_levels: tuple[str, ...],
              states: tuple[str, ...]) -> int:
        return sum(count.count for count, within in rows
                   if region in within and _matches(count, element, site_types, control_levels, states))

    results = []
    for target in targets:
        current = total(target.region, target.element, target.site_types, target.control_levels,
                        target.states)
        results.append(TargetResult(target, current, max(target.target - current, 0),
                                    current >= target.target))
    violations = []
    for rule in rules:
        for division in region_table.descendants(rule.scope, rule.level):
            found = total(division, rule.element, rule.site_types, rule.control_levels, rule.states)
            if found < rule.min_count:
                name = region_table[division].name_zh
                violations.append(Violation(rule, division, name, rule.min_count, found))
    return CoverageReport(tuple(results), tuple(violations))


# ------------------------------------------------------------------------------------------- plan files


def _int_field(toml: TomlTables, line: int | None, entry: Mapping[str, Any], field: str, *,
               minimum: int) -> int:
    value = entry.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise toml.error(line, field, f"must be a whole number, not {value!r}")
    if value < minimum:
        raise toml.error(line, field, f"{value} is below {minimum}")
    return value


def _code_list(toml: TomlTables, line: int | None, entry: Mapping[str, Any], field: str,
               allowed: Iterable[str], what: str) -> tuple[str, ...]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise toml.error(line, field, "must be a list of codes")
    known = set(allowed)
    for item in value:
        if item not in known:
            raise toml.error(line, field, f"{item!r} is not {what} ({', '.join(sorted(known))})")
    return tuple(value)


def _region_field(toml: TomlTables, line: int | None, entry: Mapping[str, Any], field: str,
                  region_table: RegionTable) -> str:
    code = toml.text_field(line, entry, field)
    if code not in region_table:
        raise toml.error(line, field, f"{code!r} is not in the regions catalogue")
    return code


def parse_plan(text: str, source: str, vocab: Vocabulary, region_table: RegionTable) -> Plan:
    """Validate a plan file against the vocabulary and regions; errors name the file, entry line and field."""
    toml = TomlTables(text, source)
    header = toml.document.get("plan")
    if not isinstance(header, dict):
        raise CatalogueError(source, "the [plan] table is missing")
    header_line = next((number for number, content in enumerate(text.splitlines(), start=1)
                        if content.strip().startswith("[plan]")), None)
    issued = header.get("issued")
    if not isinstance(issued, dt.date) or isinstance(issued, dt.datetime):
        raise toml.error(header_line, "issued", "must be a date like 2018-01-29")
    states = {s.code for s in vocab.states}
    count_states = _code_list(toml, header_line, header, "count_states", states, "a lifecycle state")
    if not count_states:
        raise toml.error(header_line, "count_states", "must name at least one lifecycle state")
    target_year = _int_field(toml, header_line, header, "target_year", minimum=issued.year)
    elements = {e.code for e in vocab.elements}
    levels = {c.code for c in vocab.control_levels}
    ids: dict[str, int | None] = {}

    def common(line: int | None, entry: Mapping[str, Any]
               ) -> tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """Fields shared by targets and rules: id, element, site types, control levels, counted states."""
        ident = toml.text_field(line, entry, "id")
        if ident in ids:
            raise toml.error(line, "id", f"{ident!r} repeats the entry on line {ids[ident]}")
        ids[ident] = line
        element = toml.text_field(line, entry, "element")
        if element not in elements:
            known = ", ".join(sorted(elements))
            raise toml.error(line, "element", f"{element!r} is not an element ({known})")
        site_types = _code_list(toml, line, entry, "site_types", vocab.site_type_codes(element),
                                f"a site type of {element}")
        control = _code_list(toml, line, entry, "control_levels", levels, "a control level")
        own_states = _code_list(toml, line, entry, "states", states, "a lifecycle state") or count_states
        return ident, element, site_types, control, own_states

    targets = []
    for line, entry in toml.entries("target"):
        ident, element, site_types, control, own_states = common(line, entry)
        if not site_types:
            raise toml.error(line, "site_types", "a target must name the site types it counts")
        approximate = entry.get("approximate", False)
        if not isinstance(approximate, bool):
            raise toml.error(line, "approximate", "must be true or false")
        baseline = _int_field(toml, line, entry, "baseline", minimum=0) if "baseline" in entry else None
        year = _int_field(toml, line, entry, "year", minimum=issued.year) if "year" in entry else target_year
        targets.append(Target(ident, element, site_types, control, _region_field(toml, line, entry, "region",
                                                                                  region_table),
                              year, _int_field(toml, line, entry, "target", minimum=0), baseline, approximate,
                              own_states, toml.text_field(line, entry, "note_zh", empty=True),
                              toml.text_field(line, entry, "source")))
    rules = []
    for line, entry in toml.entries("rule"):
        ident, element, site_types, control, own_states = common(line, entry)
        scope = _region_field(toml, line, entry, "scope", region_table)
        level = toml.text_field(line, entry, "level")
        scope_level = region_table[scope].level
        if level not in LEVELS or LEVELS.index(level) <= LEVELS.index(scope_level):
            below = ", ".join(LEVELS[LEVELS.index(scope_level) + 1:])
            raise toml.error(line, "level",
                             f"{level!r} is not a level below the scope's {scope_level} ({below})")
        rules.append(CoverageRule(ident, element, site_types, control, scope, level,
                                  _int_field(toml, line, entry, "min_count", minimum=1), own_states,
                                  toml.text_field(line, entry, "text_zh"),
                                  toml.text_field(line, entry, "source")))
    return Plan(toml.text_field(header_line, header, "id"), toml.text_field(header_line, header, "title_zh"),
                toml.text_field(header_line, header, "title_en"),
                _region_field(toml, header_line, header, "region", region_table), issued, target_year,
                toml.text_field(header_line, header, "source"), tuple(targets), tuple(rules))


def bundled_plan(city: str) -> Plan:
    """The plan bundled as ``data/targets-<city>.toml`` (e.g. ``bundled_plan("qingyuan")``)."""
    name = f"targets-{city}.toml"
    return parse_plan(read_data(name), name, vocabulary(), regions())
