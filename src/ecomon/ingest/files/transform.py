"""Pure transformation of a tabular file into observations and rejects (no I/O).

Every cell that cannot be accepted becomes a reject row (row number, column, value, reason); nothing is
dropped silently. Empty cells and the mapping's null markers are missing values: neither stored nor rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as TMapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecomon.ingest.files.mapping import Mapping

QC_NOT_EVALUATED = 2
QC_SUSPECT = 3
PM25, PM10 = "a34004", "a34002"
ROW = "__row"

# (values, from_unit, to_unit) -> values in to_unit; raises ValueError for an unknown pair.
Converter = Callable[[np.ndarray, str, str], np.ndarray]
# text values in a unit that is not numeric (e.g. compass points) -> numbers, NaN where unknown.
TextDecoder = Callable[[pl.Series, str], pl.Series | None]

VALUES_SCHEMA = {
    "site": pl.Utf8, "parameter": pl.Utf8, "t": pl.Datetime("us", "UTC"), "value": pl.Float64,
    "qc_flag": pl.Int16, "data_flag": pl.Utf8, "row_no": pl.Int32,
}
REJECTS_SCHEMA = {"row_no": pl.Int32, "column_name": pl.Utf8, "value": pl.Utf8, "reason": pl.Utf8}


@dataclass(frozen=True)
class ParameterInfo:
    code: str
    unit: str


@dataclass(frozen=True)
class TransformResult:
    values: pl.DataFrame        # site, parameter, t (UTC), value, qc_flag, data_flag, row_no
    rejects: pl.DataFrame       # row_no, column_name, value, reason
    rows_total: int

    @property
    def rows_rejected(self) -> int:
        return self.rejects.select(pl.col("row_no").n_unique()).item() if self.rejects.height else 0

    @property
    def values_flagged(self) -> int:
        return int((self.values["qc_flag"] == QC_SUSPECT).sum())


def transform(
    frame: pl.DataFrame,
    mapping: Mapping,
    sites: set[str],
    parameters: TMapping[str, ParameterInfo],
    resolve_parameter: Callable[[str], str | None],
    convert: Converter,
    decode_text: TextDecoder,
) -> TransformResult:
    """Turn a string-typed frame into UTC-timed long observations plus per-cell rejects.

    `sites` are the known station codes; `resolve_parameter` maps a name or alias to a parameter code. A frame
    cut from a larger one by `time_batches` keeps the file's row numbers (its ROW column).
    """
    nulls = set(mapping.source.null_values)
    df = frame if ROW in frame.columns else numbered(frame)
    rejects: list[pl.DataFrame] = []

    df, bad_time = _parse_time(df, mapping)
    rejects.append(bad_time)

    station_col = mapping.station.column
    if station_col not in df.columns:
        columns = ", ".join(c for c in frame.columns if c != ROW)
        raise ValueError(f"station column {station_col!r} is not in the file (columns: {columns})")
    df = df.with_columns(pl.col(station_col).str.strip_chars().alias("__site"))
    unknown = df.filter(pl.col("__t").is_not_null() & ~pl.col("__site").is_in(list(sites)))
    rejects.append(_rejects(unknown, station_col, pl.col(station_col),
                            pl.format("unknown station {}", pl.col(station_col).fill_null("(empty)"))))
    df = df.filter(pl.col("__t").is_not_null() & pl.col("__site").is_in(list(sites)))

    long, bad_param = _to_long(df, mapping, resolve_parameter)
    rejects.append(bad_param)
    long = long.filter(pl.col("raw").is_not_null() & ~pl.col("raw").str.strip_chars().is_in(list(nulls)))

    long, bad_value = _to_numbers(long, parameters, convert, decode_text)
    rejects.append(bad_value)

    if not _one_value_per_key(df, mapping):
        long, dupes = _drop_duplicates(long)
        rejects.append(dupes)

    values = long.select(
        pl.col("__site").alias("site"), "parameter", pl.col("__t").alias("t"), "value",
        pl.lit(QC_NOT_EVALUATED, pl.Int16).alias("qc_flag"), pl.col("data_flag").cast(pl.Utf8),
        pl.col(ROW).alias("row_no"),
    )
    if mapping.checks.pm25_le_pm10:
        values = flag_pm25_above_pm10(values)
    all_rejects = pl.concat([r.cast(REJECTS_SCHEMA) for r in rejects if r.height]) if any(
        r.height for r in rejects) else pl.DataFrame(schema=REJECTS_SCHEMA)
    return TransformResult(values=values.cast(VALUES_SCHEMA), rejects=all_rejects.sort("row_no", "column_name"),
                           rows_total=frame.height)


def numbered(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with the file's row numbers (from 1) in ROW, as rejects name them."""
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int32))


def time_batches(frame: pl.DataFrame, mapping: Mapping, values: int) -> list[pl.DataFrame]:
    """The numbered frame's rows in batches of whole UTC months (the partitions), in time order, of about `values`
    values each; rows whose time cannot be read come last, where `transform` rejects them.

    An importer transforms one batch while its loaders store the one before. Every check of `transform` looks at
    one row or at one station and time, so the batches give the same values and rejects as the whole frame.
    """
    per_row = len(mapping.columns) if mapping.layout.shape == "wide" else 1
    months = _parse_time(frame, mapping)[0].select(pl.col("__t").dt.truncate("1mo").alias("__m")).to_series()
    groups = frame.with_columns(months).partition_by("__m", as_dict=True, include_key=False)
    batches: list[pl.DataFrame] = []
    pending: list[pl.DataFrame] = []
    for (month,), group in sorted(groups.items(), key=lambda item: (item[0][0] is None, item[0][0])):
        if pending and (month is None or sum(g.height for g in pending + [group]) * per_row > values):
            batches.append(pl.concat(pending))
            pending = []
        pending.append(group)
    if pending:
        batches.append(pl.concat(pending))
    return batches


def flag_pm25_above_pm10(values: pl.DataFrame) -> pl.DataFrame:
    """PM2.5 is a fraction of PM10, so PM2.5 > PM10 at the same place and time is flagged suspect (both).

    Only the two parameters' rows are joined, and the flags are set by position, so the cost follows the PM rows
    rather than a join over every value of the file.
    """
    indexed = values.select("site", "t", "parameter", "value").with_row_index("__i")
    pm25 = indexed.filter(pl.col("parameter") == PM25).select("site", "t", pl.col("value").alias("pm25"),
                                                                pl.col("__i").alias("i25"))
    pm10 = indexed.filter(pl.col("parameter") == PM10).select("site", "t", pl.col("value").alias("pm10"),
                                                                pl.col("__i").alias("i10"))
    odd = pm25.join(pm10, on=["site", "t"]).filter(pl.col("pm25") > pl.col("pm10"))
    if odd.height == 0:
        return values
    positions = pl.concat([odd["i25"], odd["i10"]])
    return values.with_columns(values["qc_flag"].scatter(positions, QC_SUSPECT))


def _rejects(df: pl.DataFrame, column: str, value: pl.Expr, reason: pl.Expr | str) -> pl.DataFrame:
    """Reject rows of `df`. Rechunked first: `pl.format` over a filtered frame of several chunks (a large CSV
    file is read in several) panics in this Polars version (pola-rs/polars#25187)."""
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return df.rechunk().select(pl.col(ROW).alias("row_no"), pl.lit(column).alias("column_name"),
                     value.cast(pl.Utf8).alias("value"), reason_expr.alias("reason"))


def _parse_time(df: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, pl.DataFrame]:
    spec, tz = mapping.time, mapping.source.timezone
    if spec.column is not None:
        if spec.column not in df.columns:
            raise ValueError(f"time column {spec.column!r} is not in the file")
        text = pl.col(spec.column).str.strip_chars()
        parsed = _parse_text_time(df.select(text).to_series(), spec.format, tz)
        df = df.with_columns(parsed.alias("__t"))
        bad = df.filter(pl.col("__t").is_null())
        reason = f"time not understood (expected {spec.format or 'ISO 8601'}, time zone {tz})"
        return df, _rejects(bad, spec.column, pl.col(spec.column), reason)

    cols = spec.columns or {}
    missing = [c for c in cols.values() if c not in df.columns]
    if missing:
        raise ValueError(f"time column(s) {', '.join(missing)} not in the file")
    parts = {k: pl.col(c).str.strip_chars().cast(pl.Int32, strict=False) for k, c in cols.items()}
    date = pl.format("{}-{}-{}", parts["year"], parts["month"], parts["day"]).str.to_date("%Y-%m-%d", strict=False)
    hour, minute = parts.get("hour", pl.lit(0)), parts.get("minute", pl.lit(0))
    # Hour 24 is the end of the day (some departments number hours 1-24): the next day at 00:00.
    ok = hour.is_between(0, 24) & minute.is_between(0, 59) & ~((hour == 24) & (minute > 0))
    naive = date.cast(pl.Datetime("us")) + pl.duration(hours=hour, minutes=minute)
    df = df.with_columns(
        pl.when(ok).then(naive).otherwise(None)
        .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC").alias("__t"))
    bad = df.filter(pl.col("__t").is_null())
    shown = pl.concat_str([pl.col(c).fill_null("") for c in cols.values()], separator="/")
    return df, _rejects(bad, "+".join(cols.values()), shown, "not a valid date/time")


def _parse_text_time(text: pl.Series, fmt: str | None, tz: str) -> pl.Series:
    """Parse times with an explicit offset as such; naive ones in the mapping's time zone."""
    has_offset = text.str.contains(r"(Z|[+-]\d{2}:?\d{2})$")
    aware = text.str.to_datetime(fmt or "%Y-%m-%dT%H:%M:%S%z", strict=False, time_unit="us")
    if fmt is None:
        aware = aware.fill_null(text.str.to_datetime("%Y-%m-%d %H:%M:%S%z", strict=False, time_unit="us"))
    naive_text = text.str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "")
    naive = naive_text.str.to_datetime(fmt, strict=False, time_unit="us") if fmt else None
    if naive is None:
        naive = pl.coalesce(
            naive_text.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us"),
            naive_text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"),
            naive_text.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
            naive_text.str.to_datetime("%Y/%m/%d %H:%M:%S", strict=False, time_unit="us"),
            naive_text.str.to_datetime("%Y/%m/%d %H:%M", strict=False, time_unit="us"),
            naive_text.str.to_datetime("%Y-%m-%d", strict=False, time_unit="us"),
        )
    if aware.dtype == pl.Datetime("us"):  # no offset could be parsed at all
        aware = pl.Series([None] * len(text), dtype=pl.Datetime("us", "UTC"))
    aware = aware.dt.convert_time_zone("UTC")
    local = naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    return pl.select(pl.when(has_offset).then(aware).otherwise(local)).to_series()


def _to_long(df: pl.DataFrame, mapping: Mapping, resolve: Callable[[str], str | None]) -> tuple[
        pl.DataFrame, pl.DataFrame]:
    layout = mapping.layout
    flag = pl.col(layout.flag_column) if layout.flag_column else pl.lit(None, pl.Utf8)
    if layout.shape == "wide":
        specs = mapping.column_specs()
        absent = [c for c in specs if c not in df.columns]
        if absent:
            raise ValueError(f"mapped column(s) {', '.join(absent)} not in the file")
        # One block per mapped column with its parameter and unit as constants (an unpivot and a join on the
        # column name per value cost 5-10x more).
        keep = df.select(ROW, "__t", "__site", flag.alias("data_flag"))
        long = pl.concat([keep.with_columns(pl.lit(column).alias("column"), df[column].cast(pl.Utf8).alias("raw"),
                                            pl.lit(spec.parameter, pl.Utf8).alias("parameter"),
                                            pl.lit(spec.unit, pl.Utf8).alias("unit"))
                          for column, spec in specs.items()])
        return long, pl.DataFrame(schema=REJECTS_SCHEMA)

    for needed in (layout.parameter_column, layout.value_column):
        if needed not in df.columns:
            raise ValueError(f"column {needed!r} is not in the file")
    unit = pl.col(layout.unit_column) if layout.unit_column else pl.lit(None, pl.Utf8)
    long = df.select(ROW, "__t", "__site", flag.alias("data_flag"),
                     pl.lit(layout.value_column).alias("column"),
                     pl.col(layout.parameter_column).str.strip_chars().alias("name"),
                     pl.col(layout.value_column).alias("raw"), unit.alias("unit"))
    names = long["name"].unique().to_list()
    resolved = {n: resolve(n) for n in names if n is not None}
    long = long.with_columns(pl.col("name").replace_strict(resolved, default=None, return_dtype=pl.Utf8)
                             .alias("parameter"))
    bad = long.filter(pl.col("parameter").is_null())
    rejects = _rejects(bad, layout.parameter_column or "", pl.col("name"),
                       pl.format("unknown parameter {}", pl.col("name").fill_null("(empty)")))
    return long.filter(pl.col("parameter").is_not_null()).drop("name"), rejects


def _to_numbers(long: pl.DataFrame, parameters: TMapping[str, ParameterInfo], convert: Converter,
                decode_text: TextDecoder) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast to float and convert units, group by (parameter, unit) so each conversion runs vectorised."""
    unknown = long.filter(~pl.col("parameter").is_in(list(parameters)))
    rejects = [_rejects(unknown, "", pl.col("raw"), pl.format("parameter {} is not registered",
                                                             pl.col("parameter")))]
    long = long.filter(pl.col("parameter").is_in(list(parameters)))
    out: list[pl.DataFrame] = []
    for (code, unit), part in long.group_by(["parameter", "unit"], maintain_order=True):
        target = parameters[code].unit
        raw = part["raw"].str.strip_chars()
        decoded = decode_text(raw, unit) if unit else None
        numbers = decoded if decoded is not None else raw.cast(pl.Float64, strict=False)
        if decoded is not None:  # a decoded NaN is a defined "no value" (calm wind): missing, not an error
            part, raw, numbers = part.filter(~numbers.is_nan().fill_null(False)), \
                raw.filter(~numbers.is_nan().fill_null(False)), numbers.filter(~numbers.is_nan().fill_null(False))
        not_number = numbers.is_null() | numbers.is_nan()
        bad = part.filter(not_number)
        if bad.height:
            what = f"not a number in unit {unit}" if decoded is None else f"not a valid {unit} value"
            rejects.append(_rejects(bad, "", pl.col("raw"), what).with_columns(bad["column"].alias("column_name")))
        part = part.filter(~not_number).with_columns(numbers.filter(~not_number).alias("value"))
        if unit and decoded is None and unit != target:
            try:
                part = part.with_columns(pl.Series("value", convert(part["value"].to_numpy(), unit, target)))
            except ValueError as exc:
                rejects.append(_rejects(part, "", pl.col("raw"), f"cannot convert: {exc}")
                               .with_columns(part["column"].alias("column_name")))
                continue
        negative = (part["value"] < 0) & pl.Series([_non_negative(target)] * part.height, dtype=pl.Boolean)
        if negative.any():
            neg = part.filter(negative)
            rejects.append(_rejects(neg, "", pl.col("raw"), "negative value for a non-negative quantity")
                           .with_columns(neg["column"].alias("column_name")))
            part = part.filter(~negative)
        out.append(part)
    values = pl.concat(out) if out else long.with_columns(pl.lit(None, pl.Float64).alias("value")).clear()
    return values, pl.concat([r.cast(REJECTS_SCHEMA) for r in rejects])


def _non_negative(unit: str) -> bool:
    """Concentrations, flows, speeds and levels cannot be negative; temperatures can."""
    return unit not in {"°C", "degC", "℃"}


def _one_value_per_key(df: pl.DataFrame, mapping: Mapping) -> bool:
    """A wide file whose rows name each station and time once, and whose columns each map to a different
    parameter, cannot hold two values for one key; checking its rows is 10x cheaper than checking its values."""
    if mapping.layout.shape != "wide":
        return False
    parameters = [spec.parameter for spec in mapping.column_specs().values()]
    return len(set(parameters)) == len(parameters) and not df.select(
        pl.struct("__site", "__t").is_duplicated().any()).item()


def _drop_duplicates(long: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One value per site, parameter and time: a later row for the same key is rejected, naming the first."""
    key = ["__site", "parameter", "__t"]
    long = long.sort(ROW).with_columns(pl.col(ROW).first().over(key).alias("__first"))
    dup = long.filter(pl.col(ROW) != pl.col("__first")).rechunk()   # pl.format: see `_rejects`
    rejects = dup.select(pl.col(ROW).alias("row_no"), pl.col("column").alias("column_name"),
                         pl.col("raw").alias("value"),
                         pl.format("duplicate of row {} (same station, parameter and time)", pl.col("__first"))
                         .alias("reason"))
    return long.filter(pl.col(ROW) == pl.col("__first")).drop("__first"), rejects
