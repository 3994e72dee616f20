"""Unit conversion for monitoring values, vectorised over numpy arrays.

Feeds and files arrive in whatever unit a device or department uses (CO in µg/m³, pressure in hPa, gases in
ppb, wind direction as compass text); ecomon stores the unit of ``parameters.csv``. Conversions are exact
scale factors within one dimension (mass concentration, pressure …), affine for temperatures, and via the
molar volume for mixing ratio ↔ mass concentration. Unknown units and pairs of different dimensions raise
:class:`UnitError` instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray


class UnitError(ValueError):
    """A unit or a pair of units that cannot be converted."""


# unit → (dimension, factor to the dimension's base unit, offset added after scaling; only temperatures).
# Micro sign and Greek mu are both accepted (see _normalise).
_UNITS: dict[str, tuple[str, float, float]] = {
    # mass concentration in air, base µg/m³
    "ng/m³": ("mass concentration (air)", 1e-3, 0.0),
    "µg/m³": ("mass concentration (air)", 1.0, 0.0),
    "mg/m³": ("mass concentration (air)", 1e3, 0.0),
    # mass concentration in water, base mg/L
    "ng/L": ("mass concentration (water)", 1e-6, 0.0),
    "µg/L": ("mass concentration (water)", 1e-3, 0.0),
    "mg/L": ("mass concentration (water)", 1.0, 0.0),
    "g/L": ("mass concentration (water)", 1e3, 0.0),
    # gas mixing ratio (mole fraction), base ppb
    "ppt": ("mixing ratio", 1e-3, 0.0),
    "ppb": ("mixing ratio", 1.0, 0.0),
    "ppm": ("mixing ratio", 1e3, 0.0),
    # pressure, base Pa
    "Pa": ("pressure", 1.0, 0.0),
    "hPa": ("pressure", 1e2, 0.0),
    "kPa": ("pressure", 1e3, 0.0),
    "MPa": ("pressure", 1e6, 0.0),
    # temperature, base K
    "K": ("temperature", 1.0, 0.0),
    "°C": ("temperature", 1.0, 273.15),
    "°F": ("temperature", 5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
    # speed, base m/s
    "m/s": ("speed", 1.0, 0.0),
    "km/h": ("speed", 1.0 / 3.6, 0.0),
    # volume flow, base m³/s
    "m³/s": ("volume flow", 1.0, 0.0),
    "m³/h": ("volume flow", 1.0 / 3600.0, 0.0),
    "L/s": ("volume flow", 1e-3, 0.0),
    # length, base m
    "mm": ("length", 1e-3, 0.0),
    "cm": ("length", 1e-2, 0.0),
    "m": ("length", 1.0, 0.0),
    # absorbed dose rate, base nGy/h
    "nGy/h": ("absorbed dose rate", 1.0, 0.0),
    "µGy/h": ("absorbed dose rate", 1e3, 0.0),
    # electrical conductivity, base µS/cm
    "µS/cm": ("conductivity", 1.0, 0.0),
    "mS/cm": ("conductivity", 1e3, 0.0),
    "mS/m": ("conductivity", 10.0, 0.0),
    # electric potential, base mV
    "mV": ("electric potential", 1.0, 0.0),
    "V": ("electric potential", 1e3, 0.0),
    # mass fraction in (dry) soil, base mg/kg (GB 15618-2018, GB 36600-2018)
    "µg/kg": ("mass fraction (soil)", 1e-3, 0.0),
    "mg/kg": ("mass fraction (soil)", 1.0, 0.0),
    "g/kg": ("mass fraction (soil)", 1e3, 0.0),
    # fraction, base %
    "%": ("fraction", 1.0, 0.0),
    # units with no conversion partner: each is its own dimension
    "1": ("dimensionless", 1.0, 0.0),
    "°": ("angle", 1.0, 0.0),
    "degree": ("colour degree", 1.0, 0.0),
    "dB": ("sound level", 1.0, 0.0),
    "NTU": ("turbidity", 1.0, 0.0),
    "Bq/L": ("activity concentration", 1.0, 0.0),
    "/L": ("count concentration", 1.0, 0.0),
    "V/m": ("electric field strength", 1.0, 0.0),
    "W/m²": ("power density", 1.0, 0.0),
    "m²": ("area", 1.0, 0.0),
    "t/(km²·month)": ("dustfall", 1.0, 0.0),
}

# Reference state of GB 3095-2012 as amended in 2018 (生态环境部公告 2018年第29号) and of GB 3095-2026 for
# gaseous pollutants: 298.15 K, 101.325 kPa. Flue-gas standards (GB 13271-2014 §3.5) use 273.15 K.
REFERENCE_TEMPERATURE_K = 298.15
STANDARD_PRESSURE_KPA = 101.325
_GAS_CONSTANT = 8.314462618  # J/(mol·K), CODATA 2018 (exact SI value)


def _normalise(unit: str) -> str:
    """Accept the spellings of plain-ASCII files: Greek mu or ``u`` for µ, ``m3``/``m2`` for m³/m²."""
    text = unit.strip().replace("\u03bc", "\u00b5").replace("m3", "m³").replace("m2", "m²")
    return re.sub(r"^u(?=g/|S/|Gy/)", "\u00b5", text)


def is_known(unit: str) -> bool:
    """Whether ``unit`` is one this module can name (and, within its dimension, convert)."""
    return _normalise(unit) in _UNITS


def dimension(unit: str) -> str:
    """The physical dimension of a unit, e.g. ``"pressure"`` for hPa."""
    try:
        return _UNITS[_normalise(unit)][0]
    except KeyError:
        raise UnitError(f"unknown unit {unit!r}") from None


def molar_volume_l(temperature_k: float = REFERENCE_TEMPERATURE_K) -> float:
    """Ideal-gas molar volume in L/mol at ``temperature_k`` and 101.325 kPa (24.465 L/mol at 298.15 K)."""
    return _GAS_CONSTANT * temperature_k / STANDARD_PRESSURE_KPA


def convert(values: ArrayLike, from_unit: str, to_unit: str, *, molar_mass: float | None = None,
            temperature_k: float = REFERENCE_TEMPERATURE_K) -> NDArray[np.float64]:
    """Convert ``values`` (NaN stays NaN) from one unit to another.

    Mixing ratio ↔ air mass concentration needs the gas's ``molar_mass`` (g/mol, from ``parameters.csv``) and
    uses the molar volume at ``temperature_k`` (default: GB 3095 reference state, so 1 ppb SO2 = 2.619 µg/m³).

    >>> convert([1000.0], "µg/m³", "mg/m³")
    array([1.])
    """
    array = np.asarray(values, dtype=np.float64)
    source, target = _normalise(from_unit), _normalise(to_unit)
    for unit, given in ((source, from_unit), (target, to_unit)):
        if unit not in _UNITS:
            raise UnitError(f"unknown unit {given!r}")
    (from_dim, from_factor, from_offset), (to_dim, to_factor, to_offset) = _UNITS[source], _UNITS[target]
    if from_dim == to_dim:
        if from_offset == 0.0 and to_offset == 0.0:
            return array * (from_factor / to_factor)
        return (array * from_factor + from_offset - to_offset) / to_factor
    gas_pair = {from_dim, to_dim} == {"mixing ratio", "mass concentration (air)"}
    if not gas_pair:
        raise UnitError(f"cannot convert {from_unit!r} ({from_dim}) to {to_unit!r} ({to_dim})")
    if molar_mass is None or not molar_mass > 0:
        raise UnitError(f"converting {from_unit!r} to {to_unit!r} needs the gas's molar mass (g/mol)")
    # 1 ppb of a gas with molar mass M occupies M / Vm µg per m³ (Vm in L/mol).
    ugm3_per_ppb = molar_mass / molar_volume_l(temperature_k)
    if from_dim == "mixing ratio":
        return array * (from_factor * ugm3_per_ppb / to_factor)
    return array * (from_factor / ugm3_per_ppb / to_factor)


# 16-point compass rose, clockwise from north in 22.5° steps (N = 0°, NNE = 22.5° … NNW = 337.5°).
COMPASS_POINTS: tuple[str, ...] = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                                   "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
_COMPASS_DEGREES = {point: 22.5 * index for index, point in enumerate(COMPASS_POINTS)}
# Calm / variable wind has no direction (Beijing feeds write "cv").
_CALM = frozenset({"C", "CV", "CALM"})


def compass_to_degrees(labels: Sequence[str | None] | NDArray[np.object_], *,
                       calm: float = float("nan")) -> NDArray[np.float64]:
    """Degrees for 16-point compass labels (case-insensitive); missing (None or "") → NaN, calm → ``calm``."""
    array = np.asarray(labels, dtype=object)
    if array.size == 0:
        return np.empty(array.shape, dtype=np.float64)
    text = np.where(np.equal(array, None), "", array).astype(str)
    keys, inverse = np.unique(np.char.upper(np.char.strip(text)), return_inverse=True)
    table = np.empty(keys.size, dtype=np.float64)
    for index, key in enumerate(keys):
        if key == "":
            table[index] = np.nan
        elif key in _CALM:
            table[index] = calm
        elif key in _COMPASS_DEGREES:
            table[index] = _COMPASS_DEGREES[key]
        else:
            position = int(np.flatnonzero(inverse.reshape(-1) == index)[0])
            raise UnitError(f"{str(text.reshape(-1)[position])!r} at position {position} is not a 16-point "
                            f"compass direction ({' '.join(COMPASS_POINTS)}) or calm (C, CV)")
    return table[inverse].reshape(array.shape)
