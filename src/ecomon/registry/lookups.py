"""Registry lookups used on the ingest paths (sites by code, parameter units, aliases)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import psycopg

from ecomon.ingest.files.mapping import StationSpec
from ecomon.registry import units


def site_ids(conn: psycopg.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT code, id FROM site").fetchall())


def parameter_units(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT code, unit FROM parameter").fetchall())


def alias_resolver(conn: psycopg.Connection) -> Callable[[str], str | None]:
    """Names in files resolve to canonical HJ 212 codes: the code itself, else a case-insensitive alias."""
    codes = {c for (c,) in conn.execute("SELECT code FROM parameter").fetchall()}
    aliases = dict(conn.execute("SELECT alias, code FROM parameter_alias").fetchall())

    def resolve(name: str) -> str | None:
        if name in codes:
            return name
        return aliases.get(name.strip().casefold())

    return resolve


def register_sites(conn: psycopg.Connection, codes: list[str], spec: StationSpec, user: str) -> list[str]:
    """Create sites for unknown station codes (policy `register`); they start active with a dated history."""
    for code in codes:
        site_id = conn.execute(
            """INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, updated_by)
               VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (code, code, spec.element, spec.site_type, spec.control_level, spec.region_code, user)).fetchone()[0]
        conn.execute(
            """INSERT INTO site_state_history (site_id, state, valid_from, reason, changed_by)
               VALUES (%s, 'active', current_date, 'registered by file import', %s)""", (site_id, user))
    return codes


def convert_units(values: np.ndarray, from_unit: str, to_unit: str) -> np.ndarray:
    try:
        return units.convert(values, from_unit, to_unit)
    except units.UnitError as exc:
        raise ValueError(str(exc)) from exc


COMPASS_UNIT = "compass16"
_COMPASS = {p: 22.5 * i for i, p in enumerate(units.COMPASS_POINTS)}
_CALM = {"C": float("nan"), "CV": float("nan"), "CALM": float("nan")}


def decode_text(values: pl.Series, unit: str) -> pl.Series | None:
    """Wind direction as 16-point compass text -> degrees (N = 0). Calm has no direction: NaN, i.e. missing;
    anything else unknown -> null, which the transform rejects."""
    if unit != COMPASS_UNIT:
        return None
    return values.str.to_uppercase().replace_strict({**_COMPASS, **_CALM}, default=None, return_dtype=pl.Float64)
