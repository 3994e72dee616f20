"""The bundled registry catalogues (package data in ``ecomon/registry/data``) as validated, typed tables.

Files and columns (UTF-8, header line first):

``regions.csv`` — ``code,name_zh,name_en,level,parent_code``
    GB/T 2260 administrative divisions (6 digits) and GB/T 10114 township-level divisions (9 digits: the
    county's 6 digits + 3). ``level`` is province | city | county | township; ``parent_code`` is empty for
    provinces and otherwise the division one level up.
``parameters.csv`` — ``code,element,name_zh,name_en,unit,legacy_code,decimals,hj212_type,molar_mass,source``
    One row per (code, element). ``code`` is the HJ 212-2017 Appendix B factor code (HJ 524/525-2009), or an
    ecomon-local code ``x`` + 5 digits where no HJ 212 code exists. ``element`` is the parameter domain in
    which ``unit`` (the unit ecomon stores) applies: the same factor can be stored in µg/m³ for ambient air
    and mg/m³ for flue gas. ``legacy_code`` is the HJ/T 212-2005 code, ``hj212_type`` the standard's default
    data type (e.g. N5.2), ``molar_mass`` (g/mol) is set for gases converted between ppb and mass
    concentration.
``aliases.csv`` — ``alias,code``
    Names found in files and feeds (PM2.5, NH3-N, 氨氮 …), matched case-insensitively. Legacy codes are
    aliases too, taken from ``parameters.csv``.

Bad rows raise :class:`CatalogueError` naming the file, line and field. The ``parse_*`` functions take the
file text so that tests (and future user-supplied catalogues) go through the same validation.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ecomon.registry import units

LEVELS = ("province", "city", "county", "township")
_LEVEL_ABOVE = {"city": "province", "county": "city", "township": "county"}
_HJ212_CODE = re.compile(r"[aw]\d{5}")
_LOCAL_CODE = re.compile(r"x\d{5}")
# HJ 212-2017 Table B.3: noise factor codes.
_NOISE_CODES = frozenset({"LA", "L5", "L10", "L50", "L90", "L95", "Leq", "Ldn", "Ld", "Ln", "LMx", "LMn"})
_HJ212_TYPE = re.compile(r"N\d{1,2}(\.\d)?")


class CatalogueError(ValueError):
    """A catalogue file has a bad row; names the file, 1-based line (header = line 1), field and reason."""

    def __init__(self, source: str, reason: str, *, line: int | None = None,
                 field: str | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = reason
        where = source
        if line is not None:
            where += f" line {line}"
        if field is not None:
            where += f", field {field}"
        super().__init__(f"{where}: {reason}")


def read_data(name: str) -> str:
    """Text of a file bundled in ``ecomon/registry/data``."""
    return resources.files("ecomon.registry").joinpath("data", name).read_text(encoding="utf-8")


def csv_rows(text: str, source: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) with surrounding blanks stripped; the header must be exactly ``columns``."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise CatalogueError(source, "the file is empty (a header line is required)")
    header = [name.strip() for name in header]
    if tuple(header) != columns:
        raise CatalogueError(source, f"header is {','.join(header)}; expected {','.join(columns)}", line=1)
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(columns):
            raise CatalogueError(source, f"{len(fields)} fields where the header has {len(columns)}",
                                 line=line)
        yield line, {name: value.strip() for name, value in zip(columns, fields)}


def required(row: Mapping[str, str], field: str, source: str, line: int) -> str:
    value = row[field]
    if not value:
        raise CatalogueError(source, "must not be empty", line=line, field=field)
    return value


# --------------------------------------------------------------------------------------------------- regions


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name_zh: str
    name_en: str
    level: str
    parent_code: str | None


def level_of_code(code: str) -> str:
    """The level a GB/T 2260 / GB/T 10114 code denotes by its shape (trailing zero pairs)."""
    if len(code) == 9:
        return "township"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def _expected_parent(code: str, level: str) -> str | None:
    parents = {"province": None, "city": code[:2] + "0000", "county": code[:4] + "00", "township": code[:6]}
    return parents[level]


class RegionTable:
    """Regions by code with their tree; built only from rows that passed :func:`parse_regions`."""

    def __init__(self, regions: tuple[Region, ...]) -> None:
        self.all = regions
        self._by_code = {region.code: region for region in regions}
        children: dict[str, list[str]] = {}
        for region in regions:
            if region.parent_code is not None:
                children.setdefault(region.parent_code, []).append(region.code)
        self._children = {code: tuple(kids) for code, kids in children.items()}

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Region:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"region {code!r} is not in the catalogue") from None

    def children(self, code: str) -> tuple[str, ...]:
        return self._children.get(code, ())

    def descendants(self, code: str, level: str | None = None) -> tuple[str, ...]:
        """All regions below ``code`` (depth first), optionally only those of one level."""
        found: list[str] = []
        stack = list(reversed(self.children(code)))
        while stack:
            current = stack.pop()
            if level is None or self._by_code[current].level == level:
                found.append(current)
            stack.extend(reversed(self.children(current)))
        return tuple(found)

    def ancestors(self, code: str) -> tuple[str, ...]:
        """``code`` itself followed by its parent, grandparent … up to the province."""
        chain = [code]
        parent = self[code].parent_code
        while parent is not None:
            chain.append(parent)
            parent = self._by_code[parent].parent_code
        return tuple(chain)


REGION_COLUMNS = ("code", "name_zh", "name_en", "level", "parent_code")


def parse_regions(text: str, source: str = "regions.csv") -> RegionTable:
    """Validate code format (6 or 9 digits), level against the code's shape, parent existence and level."""
    rows: list[tuple[int, Region]] = []
    seen: dict[str, int] = {}
    for line, row in csv_rows(text, source, REGION_COLUMNS):
        code = required(row, "code", source, line)
        if not re.fullmatch(r"\d{6}|\d{9}", code):
            raise CatalogueError(source, f"{code!r} is not a 6-digit GB/T 2260 or 9-digit township code",
                                 line=line, field="code")
        if code in seen:
            raise CatalogueError(source, f"{code} repeats line {seen[code]}", line=line, field="code")
        seen[code] = line
        level = required(row, "level", source, line)
        if level not in LEVELS:
            raise CatalogueError(source, f"{level!r} is not one of {', '.join(LEVELS)}",
                                 line=line, field="level")
        shape = level_of_code(code)
        if level != shape:
            raise CatalogueError(source, f"code {code} has the shape of a {shape}, not a {level}",
                                 line=line, field="level")
        parent = row["parent_code"] or None
        expected = _expected_parent(code, level)
        if parent != expected:
            want = f"{expected}" if expected else "empty (provinces have no parent)"
            raise CatalogueError(source, f"{parent!r} is not the parent of {code}; expected {want}",
                                 line=line, field="parent_code")
        rows.append((line, Region(code, required(row, "name_zh", source, line),
                                  required(row, "name_en", source, line), level, parent)))
    levels = {region.code: region.level for _, region in rows}
    for line, region in rows:
        if region.parent_code is None:
            continue
        parent_level = levels.get(region.parent_code)
        if parent_level is None:
            raise CatalogueError(source, f"parent {region.parent_code} is not in the file",
                                 line=line, field="parent_code")
        # GB/T 10114: cities without county-level divisions (e.g. 东莞 441900) hold townships directly.
        allowed = {_LEVEL_ABOVE[region.level]} | ({"city"} if region.level == "township" else set())
        if parent_level not in allowed:
            raise CatalogueError(source, f"parent {region.parent_code} is a {parent_level}; a {region.level} "
                                 f"needs a {_LEVEL_ABOVE[region.level]}", line=line, field="parent_code")
    return RegionTable(tuple(region for _, region in rows))


@cache
def regions() -> RegionTable:
    """The bundled regions table."""
    return parse_regions(read_data("regions.csv"))


# ------------------------------------------------------------------------------------------------ parameters


@dataclass(frozen=True, slots=True)
class Parameter:
    code: str
    element: str
    name_zh: str
    name_en: str
    unit: str
    legacy_code: str | None
    decimals: int
    hj212_type: str | None
    molar_mass: float | None
    source: str

    @property
    def local(self) -> bool:
        """True for ecomon-local codes (no HJ 212 code exists)."""
        return self.code.startswith("x")


class ParameterTable:
    """Parameters by (code, element) and a case-insensitive name resolver (codes, aliases, legacy codes)."""

    def __init__(self, parameters: tuple[Parameter, ...], names: Mapping[str, str]) -> None:
        self.all = parameters
        self._by_key = {(p.code, p.element): p for p in parameters}
        self._codes = {p.code for p in parameters}
        self._names = dict(names)

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def get(self, code: str, element: str) -> Parameter:
        try:
            return self._by_key[(code, element)]
        except KeyError:
            elements = sorted(p.element for p in self.all if p.code == code)
            hint = f"; it is catalogued for {', '.join(elements)}" if elements else ""
            raise KeyError(f"parameter {code!r} is not catalogued for element {element!r}{hint}") from None

    def resolve(self, name: str) -> str:
        """Canonical code for a code, alias or legacy code (case-insensitive, surrounding blanks ignored)."""
        try:
            return self._names[name.strip().casefold()]
        except KeyError:
            raise KeyError(f"{name!r} is not a known parameter code, alias or HJ/T 212-2005 code") from None

    @property
    def aliases(self) -> Mapping[str, str]:
        """Every accepted name (case-folded) → canonical code."""
        return dict(self._names)


PARAMETER_COLUMNS = ("code", "element", "name_zh", "name_en", "unit", "legacy_code", "decimals",
                     "hj212_type", "molar_mass", "source")
ALIAS_COLUMNS = ("alias", "code")


def _check_code(code: str, source: str, line: int) -> None:
    if not (_HJ212_CODE.fullmatch(code) or _LOCAL_CODE.fullmatch(code) or code in _NOISE_CODES):
        raise CatalogueError(source, f"{code!r} is neither an HJ 212 factor code (a/w + 5 digits, or a "
                             "Table B.3 noise code) nor an ecomon-local code (x + 5 digits)",
                             line=line, field="code")


def _number(row: Mapping[str, str], field: str, source: str, line: int,
            convert: Callable[[str], float]) -> float:
    try:
        value = convert(row[field])
    except ValueError:
        raise CatalogueError(source, f"{row[field]!r} is not a number", line=line, field=field) from None
    if value < 0:
        raise CatalogueError(source, f"{row[field]} is negative", line=line, field=field)
    return value


def parse_parameters(text: str, alias_text: str, domains: frozenset[str], *,
                     source: str = "parameters.csv", alias_source: str = "aliases.csv") -> ParameterTable:
    """Validate parameter rows (code shape, element among ``domains``, known unit) and the alias table."""
    parameters: list[Parameter] = []
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, str] = {}
    name_origin: dict[str, str] = {}
    for line, row in csv_rows(text, source, PARAMETER_COLUMNS):
        code = required(row, "code", source, line)
        _check_code(code, source, line)
        element = required(row, "element", source, line)
        if element not in domains:
            known = ", ".join(sorted(domains))
            raise CatalogueError(source, f"{element!r} is not a parameter domain ({known})",
                                 line=line, field="element")
        if (code, element) in seen:
            raise CatalogueError(source, f"{code} for {element} repeats line {seen[(code, element)]}",
                                 line=line, field="code")
        seen[(code, element)] = line
        unit = required(row, "unit", source, line)
        if not units.is_known(unit):
            raise CatalogueError(source, f"unit {unit!r} is not known to ecomon.registry.units",
                                 line=line, field="unit")
        hj212_type = row["hj212_type"] or None
        if hj212_type is not None and not _HJ212_TYPE.fullmatch(hj212_type):
            raise CatalogueError(source, f"{hj212_type!r} is not an HJ 212 data type like N5.2",
                                 line=line, field="hj212_type")
        decimals = int(_number(row, "decimals", source, line, int))
        molar_mass = _number(row, "molar_mass", source, line, float) if row["molar_mass"] else None
        legacy = row["legacy_code"] or None
        parameter = Parameter(code, element, required(row, "name_zh", source, line),
                              required(row, "name_en", source, line), unit, legacy, decimals, hj212_type,
                              molar_mass, required(row, "source", source, line))
        parameters.append(parameter)
        for name, origin in ((code, f"code on line {line}"), (legacy, f"legacy code on line {line}")):
            if name is None:
                continue
            key = name.casefold()
            if names.get(key, code) != code:
                raise CatalogueError(source, f"{name!r} already names {names[key]} ({name_origin[key]})",
                                     line=line, field="legacy_code" if name == legacy else "code")
            names[key] = code
            name_origin.setdefault(key, f"{source} {origin}")
    codes = {p.code for p in parameters}
    for line, row in csv_rows(alias_text, alias_source, ALIAS_COLUMNS):
        alias = required(row, "alias", alias_source, line)
        code = required(row, "code", alias_source, line)
        if code not in codes:
            raise CatalogueError(alias_source, f"{code!r} is not a code in {source}", line=line, field="code")
        key = alias.casefold()
        if key in names:
            raise CatalogueError(alias_source, f"{alias!r} already names {names[key]} ({name_origin[key]})",
                                 line=line, field="alias")
        names[key] = code
        name_origin[key] = f"{alias_source} line {line}"
    return ParameterTable(tuple(parameters), names)


@cache
def parameters() -> ParameterTable:
    """The bundled parameter catalogue with its aliases (elements checked against the vocabulary's domains)."""
    # Imported here: vocabulary.py builds on this module's CatalogueError and read_data.
    from ecomon.registry.vocabulary import vocabulary

    domains = frozenset(term.code for term in vocabulary().parameter_domains)
    return parse_parameters(read_data("parameters.csv"), read_data("aliases.csv"), domains)
