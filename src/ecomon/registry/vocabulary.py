"""The registry's controlled vocabulary (``data/vocabulary.toml``) and the site-lifecycle check.

Elements and site types of MISSION M1, control levels, lifecycle states with their allowed transitions,
key-unit levels and categories, outlet kinds and parameter domains. Each term has a stable ``code`` and
Chinese/English labels; the file is data so that centres can translate or extend it without code changes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ecomon.registry.catalogue import CatalogueError, read_data

_CODE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Term:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class SiteType:
    element: str
    code: str
    zh: str
    en: str
    source: str


@dataclass(frozen=True, slots=True)
class State:
    code: str
    zh: str
    en: str
    initial: bool


@dataclass(frozen=True, slots=True)
class Transition:
    from_state: str
    to_state: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class OutletKind:
    code: str
    zh: str
    en: str
    parameter_domain: str


class TransitionError(ValueError):
    """A lifecycle change that the vocabulary does not allow."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    elements: tuple[Term, ...]
    site_types: tuple[SiteType, ...]
    control_levels: tuple[Term, ...]
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    key_unit_levels: tuple[Term, ...]
    key_unit_categories: tuple[Term, ...]
    outlet_kinds: tuple[OutletKind, ...]
    parameter_domains: tuple[Term, ...]

    def site_type_codes(self, element: str) -> frozenset[str]:
        return frozenset(t.code for t in self.site_types if t.element == element)

    def check_transition(self, old: str | None, new: str) -> Transition | None:
        """Refuse a lifecycle change not listed as a transition; ``old=None`` is registration of a new site.

        Returns the transition (with its labels), or None for a registration in an initial state.
        """
        states = {s.code: s for s in self.states}
        if new not in states:
            raise TransitionError(f"{new!r} is not a lifecycle state ({', '.join(states)})")
        if old is None:
            if not states[new].initial:
                allowed = ", ".join(s.code for s in self.states if s.initial)
                raise TransitionError(f"a new site cannot start as {new!r}; it starts as one of {allowed}")
            return None
        if old not in states:
            raise TransitionError(f"{old!r} is not a lifecycle state ({', '.join(states)})")
        for transition in self.transitions:
            if transition.from_state == old and transition.to_state == new:
                return transition
        onward = [t.to_state for t in self.transitions if t.from_state == old]
        allowed = f"allowed from {old!r}: {', '.join(onward)}" if onward else f"{old!r} is final"
        raise TransitionError(f"a site cannot go from {old!r} to {new!r} ({allowed})")


def _header_lines(text: str, table: str) -> list[int]:
    """1-based line numbers of each ``[[table]]`` header, so errors can point at the entry."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]\s*(#.*)?$")
    return [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


class TomlTables:
    """The ``[[name]]`` arrays of a TOML document with the line of each entry, for located errors."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        try:
            self.document: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError(source, f"not valid TOML: {exc}") from None

    def entries(self, table: str) -> list[tuple[int | None, Mapping[str, Any]]]:
        items = self.document.get(table, [])
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise CatalogueError(self.source, f"{table} must be an array of tables ([[{table}]])")
        lines: Sequence[int | None] = _header_lines(self.text, table)
        if len(lines) != len(items):  # inline arrays have no header lines to point at
            lines = [None] * len(items)
        return list(zip(lines, items))

    def error(self, line: int | None, field: str, reason: str) -> CatalogueError:
        return CatalogueError(self.source, reason, line=line, field=field)

    def text_field(self, line: int | None, entry: Mapping[str, Any], field: str, *,
                   empty: bool = False) -> str:
        value = entry.get(field)
        if value is None:
            raise self.error(line, field, "is missing")
        if not isinstance(value, str):
            raise self.error(line, field, f"must be a string, not {value!r}")
        if not empty and not value.strip():
            raise self.error(line, field, "must not be empty")
        return value

    def code_field(self, line: int | None, entry: Mapping[str, Any], field: str = "code") -> str:
        value = self.text_field(line, entry, field)
        if not _CODE.fullmatch(value):
            raise self.error(line, field, f"{value!r} is not a code (lower-case letters, digits, _)")
        return value

    def bool_field(self, line: int | None, entry: Mapping[str, Any], field: str) -> bool:
        value = entry.get(field)
        if not isinstance(value, bool):
            raise self.error(line, field, "must be true or false")
        return value

    def unique(self, table: str, items: Sequence[tuple[int | None, Any]], key: Any) -> None:
        seen: dict[Any, int | None] = {}
        for line, item in items:
            k = key(item)
            if k in seen:
                raise self.error(line, "code", f"{k!r} repeats the [[{table}]] entry on line {seen[k]}")
            seen[k] = line


def parse_vocabulary(text: str, source: str = "vocabulary.toml") -> Vocabulary:
    """Validate codes, labels, uniqueness and the references between tables (site type → element …)."""
    toml = TomlTables(text, source)

    def terms(table: str) -> tuple[Term, ...]:
        found = [(line, Term(toml.code_field(line, e), toml.text_field(line, e, "zh"),
                             toml.text_field(line, e, "en")))
                 for line, e in toml.entries(table)]
        if not found:
            raise CatalogueError(source, f"[[{table}]] has no entries")
        toml.unique(table, found, lambda term: term.code)
        return tuple(term for _, term in found)

    elements = terms("element")
    element_codes = {e.code for e in elements}
    site_types = []
    for line, entry in toml.entries("site_type"):
        element = toml.code_field(line, entry, "element")
        if element not in element_codes:
            raise toml.error(line, "element", f"{element!r} is not an [[element]] code")
        site_types.append((line, SiteType(element, toml.code_field(line, entry),
                                          toml.text_field(line, entry, "zh"),
                                          toml.text_field(line, entry, "en"),
                                          toml.text_field(line, entry, "source"))))
    toml.unique("site_type", site_types, lambda t: (t.element, t.code))

    states = [(line, State(toml.code_field(line, e), toml.text_field(line, e, "zh"),
                           toml.text_field(line, e, "en"), toml.bool_field(line, e, "initial")))
              for line, e in toml.entries("state")]
    toml.unique("state", states, lambda s: s.code)
    state_codes = {s.code for _, s in states}
    transitions = []
    for line, entry in toml.entries("transition"):
        ends = []
        for field in ("from", "to"):
            value = toml.code_field(line, entry, field)
            if value not in state_codes:
                raise toml.error(line, field, f"{value!r} is not a [[state]] code")
            ends.append(value)
        if ends[0] == ends[1]:
            raise toml.error(line, "to", "a transition must change the state")
        transitions.append((line, Transition(ends[0], ends[1], toml.text_field(line, entry, "zh"),
                                             toml.text_field(line, entry, "en"))))
    toml.unique("transition", transitions, lambda t: (t.from_state, t.to_state))

    domains = terms("parameter_domain")
    domain_codes = {d.code for d in domains}
    outlets = []
    for line, entry in toml.entries("outlet_kind"):
        domain = toml.code_field(line, entry, "parameter_domain")
        if domain not in domain_codes:
            raise toml.error(line, "parameter_domain", f"{domain!r} is not a [[parameter_domain]] code")
        outlets.append((line, OutletKind(toml.code_field(line, entry), toml.text_field(line, entry, "zh"),
                                         toml.text_field(line, entry, "en"), domain)))
    toml.unique("outlet_kind", outlets, lambda o: o.code)

    return Vocabulary(
        elements=elements,
        site_types=tuple(t for _, t in site_types),
        control_levels=terms("control_level"),
        states=tuple(s for _, s in states),
        transitions=tuple(t for _, t in transitions),
        key_unit_levels=terms("key_unit_level"),
        key_unit_categories=terms("key_unit_category"),
        outlet_kinds=tuple(o for _, o in outlets),
        parameter_domains=domains,
    )


@cache
def vocabulary() -> Vocabulary:
    """The bundled vocabulary."""
    return parse_vocabulary(read_data("vocabulary.toml"))


def check_transition(old: str | None, new: str) -> Transition | None:
    """Check a lifecycle change against the bundled vocabulary (see :meth:`Vocabulary.check_transition`)."""
    return vocabulary().check_transition(old, new)
