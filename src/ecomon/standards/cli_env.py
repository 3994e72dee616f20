"""`ecomon eval water|noise|soil|source|radiation`: the environmental standards engine on CSV files.

Each command reads a CSV table (every column as text), evaluates the columns it knows, passes every other
column through unchanged and appends its results. Bad input ends with one line on stderr naming the row and
column, and exit code 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

import numpy as np
import polars as pl
import typer

from ecomon.standards import emission, noise, radiation, soil, water
from ecomon.standards.aqi import names_where
from ecomon.standards.cli_air import fail_on_input_error
from ecomon.standards.drinking_water import ZONE_CLASS, source_compliance
from ecomon.standards.emission_limits import LIMIT_SETS, POLLUTANTS, LimitSet, limit_set
from ecomon.standards.tabular import InputError, numeric, read_csv, write_csv
from ecomon.standards.water_tables import (
    ALL_ITEMS,
    CLASS_ITEMS_2011,
    HJ212_CODES,
    LAKE,
    RIVER,
    TABLE_2,
)

SOURCE_ARGUMENT = typer.Argument(metavar="[INPUT.csv|-]", help="CSV file, or - for stdin")
WATER_STANDARDS = ("GB3838-2002",)
SOIL_STANDARDS = ("GB15618-2018", "GB36600-2018")


def register(app: typer.Typer) -> None:
    """Attach the water, noise, soil, source and radiation evaluations to the `ecomon eval` group."""
    app.command("water", help=WATER_HELP)(eval_water)
    app.command("noise", help=NOISE_HELP)(eval_noise)
    app.command("soil", help=SOIL_HELP)(eval_soil)
    app.command("source", help=SOURCE_HELP)(eval_source)
    app.command("radiation", help=RADIATION_HELP)(eval_radiation)


# ---------------------------------------------------------------------------------------------- shared


def _append(frame: pl.DataFrame, added: Mapping[str, object]) -> pl.DataFrame:
    clash = [name for name in added if name in frame.columns]
    if clash:
        raise InputError(f"the input already has output column(s) {', '.join(clash)}")
    return frame.with_columns(pl.Series(name, values, dtype=pl.Utf8) for name, values in added.items())


def _booleans(values: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    text = np.where(values, "true", "false").astype(object)
    return text if known is None else np.where(known, text, "")


def _numbers(values: np.ndarray, decimals: int) -> list[str]:
    return ["" if np.isnan(v) else f"{v:.{decimals}f}" for v in values]


def _multiples(multiples: Mapping[str, np.ndarray], n: int) -> pl.Series:
    """Per row "item:multiple;…" (two decimals) for the items with a multiple, in table order."""
    if not multiples:
        return pl.Series([""] * n)
    parts = pl.DataFrame(
        {
            item: [None if np.isnan(m) else f"{item}:{m:.2f}" for m in values]
            for item, values in multiples.items()
        }
    )
    return parts.select(pl.concat_str(pl.all(), separator=";", ignore_nulls=True)).to_series().fill_null("")


def _codes(
    frame: pl.DataFrame, column: str, mapping: Mapping[str, str], default: str | None, what: str
) -> np.ndarray:
    """Map a text column through `mapping` (case-insensitive); empty cells take `default`."""
    lookup = {key.lower(): value for key, value in mapping.items()}
    cells = frame.get_column(column).to_list() if column in frame.columns else [None] * frame.height
    codes = []
    for row, cell in enumerate(cells, start=1):
        text = (cell or "").strip()
        if not text:
            if default is None:
                raise InputError(f"{what} is required", row=row, column=column)
            codes.append(default)
        elif text.lower() in lookup:
            codes.append(lookup[text.lower()])
        else:
            raise InputError(
                f"{text!r} is not a {what} ({', '.join(dict.fromkeys(mapping))})", row=row, column=column
            )
    return np.asarray(codes, dtype=object)


def _resolve(frame: pl.DataFrame, aliases: Mapping[str, tuple[str, float]]) -> dict[str, tuple[str, float]]:
    """Map items to (column, factor to the table unit); two columns for one item is an error."""
    found: dict[str, tuple[str, float]] = {}
    for column in frame.columns:
        hit = aliases.get(column) or aliases.get(column.lower())
        if hit is None:
            continue
        item, factor = hit
        if item in found:
            raise InputError(f"columns {found[item][0]} and {column} both give {item}", column=column)
        found[item] = (column, factor)
    return found


# ---------------------------------------------------------------------------------------------- water

WATER_HELP = """按 GB 3838-2002 评价地表水水质类别 / surface-water class by GB 3838-2002 and 环办〔2011〕22号.

\b
Input columns (mg/L as in GB 3838 Table 1; an empty cell is a missing value):
  pH DO CODMn COD BOD5 NH3-N TP Cu Zn F Se As Hg Cd Cr6 Pb CN phenol petroleum LAS sulfide
  TN, fecal_coliform (count/L)  assessed separately (TN_class for lakes, fecal_coliform_class);
                                with --items all they enter the class as in GB 3838 itself
  sulfate chloride nitrate Fe Mn  GB 3838 Table 2, used with --source-zone
  waterbody                     river | lake (河流 | 湖库, 湖泊, 水库, reservoir); empty: --waterbody;
                                lakes and reservoirs use the lake TP limits
  target_class                  I..V (or 1..5): the class the water function requires
With --by section,month (any columns): one output row per group with the mean of each item (mg/L, the
HJ 212 code columns renamed to their items; waterbody and target_class join the group keys), then classed.
HJ 212-2017 factor codes are accepted as column names (w01001 pH, w01009 DO, w01019 CODMn, w01018 COD,
w01017 BOD5, w21003 NH3-N, w21011 TP, w21001 TN, w20122 Cu, w20123 Zn, w21017 F, w20128 Se, w20119 and
w20141 As, w20111 Hg, w20115 Cd, w20117 Cr6, w20120 Pb, w21016 CN, w23002 phenol, w22001 petroleum, w19002
LAS, w21019 sulfide, w02003 fecal_coliform, w21038 sulfate, w21022 chloride, w21007 nitrate, w20125 Fe,
w20124 Mn). HJ 212 Table B.1 gives w20128, w20119, w20111, w20115, w20117 and w20120 in µg/L: by default
they are divided by 1000; --code-units mg/L reads them as mg/L.

\b
Output: the input columns, then
  class            I, II, III, IV, V or 劣V (empty when no item was measured)
  status           优 | 良好 | 轻度污染 | 中度污染 | 重度污染
  determining      the items at the sample's class, joined by ';'
  main_pollutants  for classes worse than III: the three worst items (class, then multiple over III),
                   then cyanide / Hg / Cd / Cr6 / Pb / As if they also exceed III
  TN_class, fecal_coliform_class   when those columns are given (2011 method)
With a target_class column: compliant (true/false), failing (items worse than the target) and exceedances
("NH3-N:0.50;TP:1.20": (C - limit)/limit against the target class; none for pH and DO).
With --source-zone 1|2: source_compliant (drinking-water source: Table 1 items within class II (zone 1) or
III (zone 2) and Table 2 items within their limits).
"""

WATERBODY_WORDS = {
    "river": RIVER, "河流": RIVER, "河": RIVER, "lake": LAKE, "湖库": LAKE, "湖泊": LAKE, "湖": LAKE, "水库": LAKE,
    "reservoir": LAKE, "库": LAKE,
}  # fmt: skip
TARGET_WORDS = {
    **{label: str(code) for code, label in enumerate(("I", "II", "III", "IV", "V"), start=1)},
    **{label: str(code) for code, label in enumerate(("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ"), start=1)},
    **{str(code): str(code) for code in range(1, 6)},
}


def _water_aliases(code_units_mg: bool) -> dict[str, tuple[str, float]]:
    aliases = {item: (item, 1.0) for item in (*ALL_ITEMS, *TABLE_2)}
    aliases.update(
        {code: (item, 1.0 if code_units_mg else factor) for code, (item, factor) in HJ212_CODES.items()}
    )
    return aliases


def eval_water(
    standard: Annotated[str, typer.Option(help=" | ".join(WATER_STANDARDS))],
    source: Annotated[str, SOURCE_ARGUMENT] = "-",
    waterbody: Annotated[str, typer.Option(help="river | lake, for rows without a waterbody value")] = RIVER,
    items: Annotated[
        str, typer.Option(help="2011: 21 items of 环办〔2011〕22号 | all: every Table 1 item")
    ] = "2011",
    code_units: Annotated[
        str, typer.Option(help="table-b1 | mg/L: unit of the HJ 212 metal code columns")
    ] = "table-b1",
    source_zone: Annotated[
        int | None, typer.Option(help="drinking-water source protection zone 1 | 2")
    ] = None,
    by: Annotated[
        str, typer.Option(help="comma-separated columns, e.g. section,month: class the mean of each group")
    ] = "",
) -> None:
    if standard not in WATER_STANDARDS:
        raise typer.BadParameter(
            f"{standard!r} is not one of {', '.join(WATER_STANDARDS)}", param_hint="--standard"
        )
    if (
        waterbody not in (RIVER, LAKE)
        or items not in ("2011", "all")
        or code_units not in ("table-b1", "mg/L")
    ):
        raise typer.BadParameter("--waterbody river|lake, --items 2011|all, --code-units table-b1|mg/L")
    if source_zone is not None and source_zone not in ZONE_CLASS:
        raise typer.BadParameter("--source-zone is 1 or 2")
    class_items = CLASS_ITEMS_2011 if items == "2011" else ALL_ITEMS
    keys = [name.strip() for name in by.split(",") if name.strip()]

    def evaluate() -> None:
        frame = read_csv(source)
        if keys:
            frame = water_group_means(frame, keys, code_units == "mg/L")
        write_csv(water_table(frame, waterbody, class_items, code_units == "mg/L", source_zone))

    fail_on_input_error(evaluate)


def water_group_means(frame: pl.DataFrame, keys: Sequence[str], code_units_mg: bool) -> pl.DataFrame:
    """One row per group: the keys (plus waterbody and target_class, which must not vary within a group)
    and the arithmetic mean of every item in mg/L (环办〔2011〕22号: a period is classed by its mean)."""
    missing = [key for key in keys if key not in frame.columns]
    if missing:
        raise InputError(f"--by column {missing[0]} is not in the input")
    keys = [*keys, *(c for c in ("waterbody", "target_class") if c in frame.columns and c not in keys)]
    columns = _resolve(frame, _water_aliases(code_units_mg))
    numbers = frame.select(keys).with_columns(
        pl.Series(item, numeric(frame, column) * factor, nan_to_null=True)
        for item, (column, factor) in columns.items()
    )
    means = water.period_means(numbers, keys, list(columns))
    return means.with_columns(
        pl.col(item).map_elements(lambda v: f"{v:.6g}", return_dtype=pl.Utf8) for item in columns
    )


def water_table(
    frame: pl.DataFrame,
    default_waterbody: str,
    class_items: Sequence[str],
    code_units_mg: bool,
    source_zone: int | None,
) -> pl.DataFrame:
    """The input frame with the GB 3838 columns appended."""
    columns = _resolve(frame, _water_aliases(code_units_mg))
    if not set(columns) & set(ALL_ITEMS):
        raise InputError(f"no GB 3838 Table 1 column; expected one or more of {', '.join(ALL_ITEMS)}")
    samples = {item: numeric(frame, column) * factor for item, (column, factor) in columns.items()}
    body = _codes(frame, "waterbody", WATERBODY_WORDS, default_waterbody, "waterbody")
    result = water.classify(samples, body, class_items)
    klass = result.water_class
    added: dict[str, object] = {
        "class": water.class_labels(klass),
        "status": water.status_words(klass),
        "determining": names_where(result.determining.T, result.items),
        "main_pollutants": [";".join(row) for row in water.main_pollutants(samples, body, class_items)],
    }
    if "TN" not in class_items and "TN" in samples:
        tn = water.item_class("TN", samples["TN"], body)
        added["TN_class"] = np.where(body == LAKE, water.class_labels(tn), "")
    if "fecal_coliform" not in class_items and "fecal_coliform" in samples:
        added["fecal_coliform_class"] = water.class_labels(
            water.item_class("fecal_coliform", samples["fecal_coliform"])
        )
    if "target_class" in frame.columns:
        target = _codes(frame, "target_class", TARGET_WORDS, "0", "class I..V").astype(np.int64)
        known = (target > 0) & (klass > 0)
        added["compliant"] = _booleans(water.meets_target(klass, target), known)
        added["failing"] = names_where((result.item_classes > target).T & known[:, None], result.items)
        added["exceedances"] = _multiples(
            water.exceedance_multiples(samples, target, body, class_items), frame.height
        )
    if source_zone is not None:
        check = source_compliance(samples, source_zone, body, class_items)
        added["source_compliant"] = _booleans(check.compliant)
    return _append(frame, added)


# ---------------------------------------------------------------------------------------------- noise

NOISE_HELP = """按 GB 3096-2008 评价声环境功能区达标 / noise: GB 3096-2008 zone limits, HJ 640-2012 grades.

\b
Input columns (dB(A)):
  Leq       equivalent continuous A-weighted level of the measurement (required)
  zone      functional zone class 0 | 1 | 2 | 3 | 4a | 4b (or --zone)
  period    day | night (昼间 | 夜间), or else derived from an hour / time column
            (hour of the start of the interval; day is 06:00-22:00), or else --period
  Lmax      night-time maximum level of sudden noise (optional)
Output: the input columns, then (with a zone) limit, compliant (true/false), exceed_dB (Leq - limit, 0 when
compliant) and, for night rows with Lmax, Lmax_compliant (Lmax <= night limit + 15 dB); with --grade regional
(grid mean) or road (traffic mean), grade (一级..五级) and grade_word (好, 较好, 一般, 较差, 差) by HJ 640-2012
after rounding Leq to 0.1 dB. A derived period is added as a period column.
"""

PERIOD_WORDS = {
    "day": noise.DAY,
    "昼间": noise.DAY,
    "昼": noise.DAY,
    "night": noise.NIGHT,
    "夜间": noise.NIGHT,
    "夜": noise.NIGHT,
}


def eval_noise(
    source: Annotated[str, SOURCE_ARGUMENT] = "-",
    zone: Annotated[str | None, typer.Option(help="0 | 1 | 2 | 3 | 4a | 4b, for rows without a zone")] = None,
    period: Annotated[str | None, typer.Option(help="day | night, when no period/hour/time column")] = None,
    grade: Annotated[str | None, typer.Option(help="regional | road: add the HJ 640-2012 grade")] = None,
) -> None:
    if zone is not None and zone not in noise.ZONE_LIMITS:
        raise typer.BadParameter(
            f"{zone!r} is not one of {', '.join(noise.ZONE_LIMITS)}", param_hint="--zone"
        )
    if period is not None and period not in (noise.DAY, noise.NIGHT):
        raise typer.BadParameter("day or night", param_hint="--period")
    if grade is not None and grade not in ("regional", "road"):
        raise typer.BadParameter("regional or road", param_hint="--grade")
    fail_on_input_error(lambda: write_csv(noise_table(read_csv(source), zone, period, grade)))


def _noise_periods(frame: pl.DataFrame, default: str | None) -> tuple[np.ndarray, bool]:
    """Period per row and whether it was derived (so it is added to the output)."""
    if "period" in frame.columns:
        return _codes(frame, "period", PERIOD_WORDS, default, "period (day or night)"), False
    for column in ("hour", "time"):
        if column in frame.columns:
            text = frame.get_column(column).fill_null("").str.strip_chars()
            hours = text if column == "hour" else text.str.extract(r"^\d{4}-\d{2}-\d{2}[T ](\d{1,2}):", 1)
            values = hours.cast(pl.Int64, strict=False)
            bad = values.is_null() | (values > 23) | (values < 0)
            if bad.any():
                row = int(bad.arg_max())
                raise InputError(f"{text[row]!r} has no hour 0-23", row=row + 1, column=column)
            return noise.period_of_hour(values.to_numpy()), True
    if default is None:
        raise InputError("no period, hour or time column; give --period day|night")
    return np.full(frame.height, default, dtype=object), False


def noise_table(frame: pl.DataFrame, zone: str | None, period: str | None, grade: str | None) -> pl.DataFrame:
    """The input frame with the GB 3096 / HJ 640 columns appended."""
    if "Leq" not in frame.columns:
        raise InputError("no Leq column (equivalent continuous A-weighted level, dB(A))")
    if "zone" not in frame.columns and zone is None and grade is None:
        raise InputError("nothing to evaluate: give a zone column or --zone, or --grade regional|road")
    level = numeric(frame, "Leq")
    periods, derived = _noise_periods(frame, period)
    added: dict[str, object] = {"period": periods} if derived else {}
    if "zone" in frame.columns or zone is not None:
        zones = _codes(frame, "zone", {code: code for code in noise.ZONE_LIMITS}, zone, "zone")
        limit = noise.zone_limit(zones.astype(str), periods.astype(str))
        known = ~np.isnan(level)
        added["limit"] = _numbers(limit, 0)
        added["compliant"] = _booleans(level <= limit, known)
        added["exceed_dB"] = _numbers(noise.exceedance_db(level, limit), 1)
        if "Lmax" in frame.columns:
            lmax = numeric(frame, "Lmax")
            night = (periods == noise.NIGHT) & ~np.isnan(lmax)
            added["Lmax_compliant"] = _booleans(noise.night_sudden_compliant(lmax, zones.astype(str)), night)
    if grade is not None:
        grades = np.zeros(frame.height, dtype=np.int64)
        for name in (noise.DAY, noise.NIGHT):
            rows = periods == name
            grades[rows] = noise.hj640_grade(level[rows], grade, name)
        added["grade"] = np.asarray(noise.GRADE_LABELS, dtype=object)[grades]
        added["grade_word"] = np.asarray(noise.GRADE_WORDS, dtype=object)[grades]
    return _append(frame, added)


# ---------------------------------------------------------------------------------------------- soil

SOIL_HELP = """按 GB 15618-2018 / GB 36600-2018 评价土壤污染风险 / soil pollution risk (mg/kg dry soil).

\b
--standard GB15618-2018 (agricultural land):
  pH            soil pH (required for every evaluated row)
  land          paddy | orchard | other (水田 | 果园 | 其他); empty: --land
  Cd Hg As Pb Cr Cu Ni Zn
  category      优先保护类 (all <= screening) | 安全利用类 (some > screening, all <= intervention) |
                严格管控类 (any > intervention)
--standard GB36600-2018 (construction land):
  land_class    1 | 2 (first- or second-class land); empty: --land-class
  As Cd Cr6 Cu Pb Hg Ni; organics CCl4 chloroform vinyl_chloride TCE benzene toluene ethylbenzene
  naphthalene BaP BaA DBahA
  category      低于筛选值 | 超筛选值 | 超管制值
Output: the input columns, then category, over_screening and over_intervention ("Cd:0.50;Pb:1.20": multiples
(C - value)/value of the items above the value). Rows without the needed data get empty results.
"""

LAND_WORDS = {
    "paddy": soil.PADDY,
    "水田": soil.PADDY,
    "orchard": soil.ORCHARD,
    "果园": soil.ORCHARD,
    "other": soil.OTHER,
    "其他": soil.OTHER,
}


def eval_soil(
    standard: Annotated[str, typer.Option(help=" | ".join(SOIL_STANDARDS))],
    source: Annotated[str, SOURCE_ARGUMENT] = "-",
    land: Annotated[
        str, typer.Option(help="GB15618: paddy | orchard | other, for rows without land")
    ] = soil.OTHER,
    land_class: Annotated[
        int | None, typer.Option(help="GB36600: 1 | 2, for rows without land_class")
    ] = None,
) -> None:
    if standard not in SOIL_STANDARDS:
        raise typer.BadParameter(
            f"{standard!r} is not one of {', '.join(SOIL_STANDARDS)}", param_hint="--standard"
        )
    if land not in LAND_WORDS or (land_class is not None and land_class not in (1, 2)):
        raise typer.BadParameter("--land paddy|orchard|other, --land-class 1|2")
    fail_on_input_error(lambda: write_csv(soil_table(read_csv(source), standard, land, land_class)))


def soil_table(frame: pl.DataFrame, standard: str, land: str, land_class: int | None) -> pl.DataFrame:
    """The input frame with the soil risk columns appended."""
    if standard == "GB15618-2018":
        metals = sorted({metal for metal, _ in soil.SCREENING_15618} & set(frame.columns))
        words: tuple[str, ...] = soil.CATEGORIES_15618
    else:
        metals = [metal for metal in soil.TABLE_36600 if metal in frame.columns]
        words = soil.LEVELS_36600
    if not metals:
        raise InputError(f"no {standard} item column in the input")
    samples = {metal: numeric(frame, metal) for metal in metals}
    if standard == "GB15618-2018":
        if "pH" not in frame.columns:
            raise InputError("GB 15618-2018 values depend on soil pH: a pH column is required")
        lands = _codes(frame, "land", LAND_WORDS, land, "land use")
        result = soil.assess_agricultural(samples, numeric(frame, "pH"), lands.astype(str))
    else:
        default = None if land_class is None else str(land_class)
        classes = _codes(frame, "land_class", {"1": "1", "2": "2"}, default, "land class (1 or 2)")
        result = soil.assess_construction(samples, classes.astype(np.int64))
    added = {
        "category": np.asarray(("", *words), dtype=object)[result.category + 1],
        "over_screening": _multiples(result.over_screening, frame.height),
        "over_intervention": _multiples(result.over_intervention, frame.height),
    }
    return _append(frame, added)


# ---------------------------------------------------------------------------------------------- sources

SOURCE_HELP = """按排放标准评价固定污染源烟气 / flue-gas emissions against an emission standard (mg/m³).

\b
Input columns (hourly values; dry gas, 273 K, 101.325 kPa):
  PM SO2 NOx Hg    measured concentrations (HJ 212 codes a34013, a21026, a21002, a20057 accepted)
  O2               measured O2 % (a19001); required unless --converted
  flag             HJ 212 data flag for every pollutant of the row; <pollutant>_flag or <code>-Flag per
                   pollutant. N and S are valid; F M D C T B P invalid; empty means valid
  valid_minutes    valid minute values in the hour (< 45 makes the hour invalid, HJ 76-2017 Annex B)
  flow             dry standard flue-gas flow (unit --flow-unit; a00000 in m³/s as HJ 212 Table B.2)
  outlet, time     outlet id and ISO time (time is needed for --period day)
--period hour: the input columns, then <pollutant>_ref (converted to the reference O2 of the category),
  valid (true/false), exceeding ("SO2:0.20": (C_ref - limit)/limit of valid hours above the limit) and,
  with flow, <pollutant>_load_kg (measured C x flow x 1 h, valid hours only).
--period day: one row per outlet and day: outlet, date, valid_hours, day_valid (>= 20 valid hours),
  <pollutant>_ref (mean of the valid hours), exceeding (valid days only), <pollutant>_load_kg (sum over
  the valid hours).
Standards and categories: """ + "; ".join(
    f"{standard} {', '.join(c for s, c in LIMIT_SETS if s == standard)}"
    for standard in dict.fromkeys(s for s, _ in LIMIT_SETS)
)

POLLUTANT_ALIASES = {
    "PM": ("PM", 1.0),
    "SO2": ("SO2", 1.0),
    "NOx": ("NOx", 1.0),
    "Hg": ("Hg", 1.0),
    "a34013": ("PM", 1.0),
    "a21026": ("SO2", 1.0),
    "a21002": ("NOx", 1.0),
    "a20057": ("Hg", 1.0),
}
FLAG_WORDS = {flag: flag for flag in sorted(emission.KNOWN_FLAGS)}


def eval_source(
    standard: Annotated[str, typer.Option(help=" | ".join(dict.fromkeys(s for s, _ in LIMIT_SETS)))],
    category: Annotated[str, typer.Option(help="source category of the standard, e.g. coal-new")],
    source: Annotated[str, SOURCE_ARGUMENT] = "-",
    period: Annotated[str, typer.Option(help="hour | day")] = "hour",
    converted: Annotated[bool, typer.Option(help="concentrations are already at the reference O2")] = False,
    flow_unit: Annotated[str, typer.Option(help=" | ".join(emission.FLOW_TO_M3_PER_H))] = "m3/h",
) -> None:
    try:
        limits = limit_set(standard, category)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if period not in ("hour", "day") or flow_unit not in emission.FLOW_TO_M3_PER_H:
        raise typer.BadParameter(f"--period hour|day, --flow-unit {'|'.join(emission.FLOW_TO_M3_PER_H)}")
    fail_on_input_error(
        lambda: write_csv(source_table(read_csv(source), limits, period, converted, flow_unit))
    )


def _flag_column(frame: pl.DataFrame, column: str) -> str | None:
    for name in (f"{column}_flag", f"{column}-Flag", "flag"):
        if name in frame.columns:
            return name
    return None


def source_table(
    frame: pl.DataFrame, limits: LimitSet, period: str, converted: bool, flow_unit: str
) -> pl.DataFrame:
    """Hourly evaluation with the input passed through, or daily rows per outlet (--period day)."""
    columns = _resolve(frame, POLLUTANT_ALIASES)
    pollutants = [p for p in POLLUTANTS if p in columns and p in limits.limits]
    if not pollutants:
        raise InputError(
            f"no column for a pollutant limited by {limits.standard} {limits.category}: "
            f"{', '.join(limits.limits)}"
        )
    o2_column = next((c for c in ("O2", "a19001") if c in frame.columns), None)
    if not converted and o2_column is None:
        raise InputError("an O2 column is needed to convert to the reference O2 (or give --converted)")
    o2 = None if converted else numeric(frame, o2_column)
    if o2 is not None and (o2 >= emission.AIR_O2).any():
        row = int(np.argmax(o2 >= emission.AIR_O2))
        raise InputError(
            "O2 must be below 21 % to convert to the reference O2", row=row + 1, column=o2_column
        )
    hour_ok = np.ones(frame.height, dtype=bool)
    if "valid_minutes" in frame.columns:
        hour_ok &= emission.hour_valid(np.nan_to_num(numeric(frame, "valid_minutes")))
    flow_column = next((c for c in ("flow", "a00000") if c in frame.columns), None)
    flow = None
    if flow_column is not None:
        unit = "m3/s" if flow_column == "a00000" else flow_unit
        flow = numeric(frame, flow_column) * emission.FLOW_TO_M3_PER_H[unit]
    measured, referenced, valid, loads = {}, {}, {}, {}
    for p in pollutants:
        measured[p] = numeric(frame, columns[p][0])
        referenced[p] = (
            measured[p] if converted else emission.reference_oxygen(measured[p], o2, limits.o2_ref)
        )
        flag = _flag_column(frame, columns[p][0])
        flagged = (
            emission.flag_valid(_codes(frame, flag, FLAG_WORDS, "N", "HJ 212 flag").astype(str))
            if flag
            else True
        )
        valid[p] = hour_ok & flagged & ~np.isnan(referenced[p])
        if flow is not None:
            loads[p] = np.where(valid[p], emission.emission_load(measured[p], flow), np.nan)
    if period == "hour":
        any_valid = np.logical_or.reduce([valid[p] for p in pollutants])
        added: dict[str, object] = {f"{p}_ref": _numbers(referenced[p], 3) for p in pollutants}
        added["valid"] = _booleans(any_valid)
        added["exceeding"] = _multiples(
            {
                p: np.where(valid[p], emission.exceedance_multiple(referenced[p], limits.limits[p]), np.nan)
                for p in pollutants
            },
            frame.height,
        )
        added.update({f"{p}_load_kg": _numbers(load, 6) for p, load in loads.items()})
        return _append(frame, added)
    return _daily_source_table(frame, limits, pollutants, referenced, valid, loads)


def _daily_source_table(
    frame: pl.DataFrame,
    limits: LimitSet,
    pollutants: Sequence[str],
    referenced: Mapping[str, np.ndarray],
    valid: Mapping[str, np.ndarray],
    loads: Mapping[str, np.ndarray],
) -> pl.DataFrame:
    if "time" not in frame.columns:
        raise InputError("--period day needs a time column")
    dates = frame.get_column("time").fill_null("").str.extract(r"^(\d{4}-\d{2}-\d{2})", 1)
    if dates.is_null().any():
        row = int(dates.is_null().arg_max())
        raise InputError(
            f"{frame.get_column('time')[row]!r} does not start with a date YYYY-MM-DD",
            row=row + 1,
            column="time",
        )
    outlets = (
        frame.get_column("outlet").fill_null("")
        if "outlet" in frame.columns
        else pl.Series([""] * frame.height)
    )
    hours = pl.DataFrame({"outlet": outlets, "date": dates})
    daily = None
    for p in pollutants:
        part = hours.with_columns(pl.Series(p, referenced[p]), pl.Series("ok", valid[p]))
        means = emission.daily_means(part, ["outlet"], "date", [p], "ok")
        if p in loads:
            load_sums = (
                part.with_columns(pl.Series("load", loads[p]))
                .group_by(["outlet", "date"], maintain_order=True)
                .agg(
                    pl.col("load")
                    .filter(pl.col("ok") & pl.col("load").is_not_nan())
                    .sum()
                    .alias(f"{p}_load_kg")
                )
            )
            means = means.join(load_sums, on=["outlet", "date"], maintain_order="left")
        means = means.rename({"valid_hours": f"{p}_valid_hours", "day_valid": f"{p}_day_valid"})
        daily = means if daily is None else daily.join(means, on=["outlet", "date"], maintain_order="left")
    assert daily is not None
    day_ok = {p: daily.get_column(f"{p}_day_valid").to_numpy() for p in pollutants}
    multiples = {
        p: np.where(
            day_ok[p],
            emission.exceedance_multiple(daily.get_column(p).fill_null(np.nan).to_numpy(), limits.limits[p]),
            np.nan,
        )
        for p in pollutants
    }
    valid_hours = np.max(
        np.stack([daily.get_column(f"{p}_valid_hours").to_numpy() for p in pollutants]), axis=0
    )
    result = {
        "outlet": daily.get_column("outlet"),
        "date": daily.get_column("date"),
        "valid_hours": valid_hours.astype(str),
        "day_valid": _booleans(emission.day_valid(valid_hours)),
        **{f"{p}_ref": _numbers(daily.get_column(p).fill_null(np.nan).to_numpy(), 3) for p in pollutants},
        "exceeding": _multiples(multiples, daily.height),
        **{
            f"{p}_load_kg": _numbers(daily.get_column(f"{p}_load_kg").to_numpy(), 6)
            for p in pollutants
            if p in loads
        },
    }
    return pl.DataFrame({name: pl.Series(values, dtype=pl.Utf8) for name, values in result.items()})


# ---------------------------------------------------------------------------------------------- radiation

RADIATION_HELP = """环境γ辐射空气吸收剂量率评价 / ambient gamma dose rate against baseline and background.

\b
Input columns (nGy/h):
  dose_rate                      air absorbed dose rate (required)
  baseline_mean, baseline_sd     the station's baseline (or --mean/--sd); with --baseline-from-input the
                                 baseline is the mean and SD of the input's own rows per station column
  background_low, background_high  local natural background range (or --background-low/-high)
Output: the input columns, then investigation_level (mean + k*sd, k = --k, 3 by default),
above_investigation (true/false) and, with a background range, background (正常 | 偏高 | 偏低).
"""


def eval_radiation(
    source: Annotated[str, SOURCE_ARGUMENT] = "-",
    mean: Annotated[float | None, typer.Option(help="baseline mean, nGy/h")] = None,
    sd: Annotated[float | None, typer.Option(help="baseline standard deviation, nGy/h")] = None,
    k: Annotated[
        float, typer.Option(help="investigation level = mean + k*sd")
    ] = radiation.DEFAULT_SIGMA_MULTIPLE,
    baseline_from_input: Annotated[
        bool, typer.Option(help="baseline = the input's own rows per station")
    ] = False,
    background_low: Annotated[float | None, typer.Option(help="local background range, lower end")] = None,
    background_high: Annotated[float | None, typer.Option(help="local background range, upper end")] = None,
) -> None:
    fail_on_input_error(
        lambda: write_csv(
            radiation_table(
                read_csv(source), mean, sd, k, baseline_from_input, background_low, background_high
            )
        )
    )


def _per_row(frame: pl.DataFrame, column: str, default: float | None) -> np.ndarray | None:
    if column in frame.columns:
        values = numeric(frame, column)
        return values if default is None else np.where(np.isnan(values), default, values)
    return None if default is None else np.full(frame.height, default)


def radiation_table(
    frame: pl.DataFrame,
    mean: float | None,
    sd: float | None,
    k: float,
    from_input: bool,
    background_low: float | None,
    background_high: float | None,
) -> pl.DataFrame:
    """The input frame with the investigation-level and background columns appended."""
    if "dose_rate" not in frame.columns:
        raise InputError("no dose_rate column (air absorbed dose rate, nGy/h)")
    rate = numeric(frame, "dose_rate")
    if from_input:
        stations = (
            frame.get_column("station").fill_null("")
            if "station" in frame.columns
            else pl.Series([""] * frame.height)
        )
        stats = pl.DataFrame({"station": stations, "rate": rate}, nan_to_null=True).with_columns(
            pl.col("rate").mean().over("station").alias("mean"),
            pl.col("rate").std().over("station").alias("sd"),
        )
        base_mean = stats.get_column("mean").fill_null(np.nan).to_numpy()
        base_sd = stats.get_column("sd").fill_null(np.nan).to_numpy()
    else:
        base_mean, base_sd = _per_row(frame, "baseline_mean", mean), _per_row(frame, "baseline_sd", sd)
        if base_mean is None or base_sd is None:
            raise InputError(
                "no baseline: give baseline_mean and baseline_sd columns, --mean and --sd, "
                "or --baseline-from-input"
            )
    level = base_mean + k * base_sd
    known = ~np.isnan(rate) & ~np.isnan(level)
    added: dict[str, object] = {
        "investigation_level": _numbers(level, 1),
        "above_investigation": _booleans(
            radiation.above_investigation_level(rate, base_mean, base_sd, k), known
        ),
    }
    low, high = (
        _per_row(frame, "background_low", background_low),
        _per_row(frame, "background_high", background_high),
    )
    if low is not None and high is not None:
        added["background"] = radiation.background_verdict(rate, low, high)
    return _append(frame, added)
