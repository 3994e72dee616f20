"""Import mappings: how a department's file maps onto ecomon's sites, parameters, units and times.

A mapping is a small TOML file kept next to the data (see data/beijing-air/mapping.toml and docs/import.md),
so the same file is imported the same way every time and the mapping itself is archived with the ingest log.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(_Strict):
    format: Literal["csv", "xlsx"] = "csv"
    sheet: str | None = None
    delimiter: str = ","
    encoding: Literal["utf-8", "gb18030"] = "utf-8"
    null_values: list[str] = Field(default_factory=lambda: ["", "NA", "N/A", "null", "-"])
    timezone: str = "Asia/Shanghai"


class TimeSpec(_Strict):
    column: str | None = None            # one column holding the time
    format: str | None = None            # strftime format; ISO 8601 when omitted
    columns: dict[Literal["year", "month", "day", "hour", "minute"], str] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> TimeSpec:
        if (self.column is None) == (self.columns is None):
            raise ValueError("[time] needs either `column` or `columns` (year, month, day, hour …), not both")
        if self.columns is not None and not {"year", "month", "day"} <= set(self.columns):
            raise ValueError("[time] columns needs at least year, month and day")
        return self


class StationSpec(_Strict):
    column: str
    unknown: Literal["reject", "register"] = "reject"
    # Attributes of sites created by unknown = "register":
    element: str | None = None
    site_type: str | None = None
    control_level: Literal["national", "provincial", "city", "county"] = "city"
    region_code: str | None = None

    @model_validator(mode="after")
    def _register_needs(self) -> StationSpec:
        if self.unknown == "register" and not (self.element and self.site_type and self.region_code):
            raise ValueError('[station] unknown = "register" needs element, site_type and region_code')
        return self


class ColumnSpec(_Strict):
    parameter: str
    unit: str | None = None              # unit in the file; converted to the parameter's stored unit


class LayoutSpec(_Strict):
    shape: Literal["wide", "long"] = "wide"
    interval: Literal["raw", "minute", "hour", "day"] = "hour"
    parameter_column: str | None = None  # long shape
    value_column: str | None = None
    unit_column: str | None = None
    flag_column: str | None = None       # HJ 212 data flag, if the file carries one

    @model_validator(mode="after")
    def _long_needs(self) -> LayoutSpec:
        if self.shape == "long" and not (self.parameter_column and self.value_column):
            raise ValueError('[layout] shape = "long" needs parameter_column and value_column')
        return self


class ChecksSpec(_Strict):
    pm25_le_pm10: bool = True            # PM2.5 > PM10 is physically odd: imported but flagged suspect


class Mapping(_Strict):
    source: SourceSpec = SourceSpec()
    time: TimeSpec
    station: StationSpec
    layout: LayoutSpec = LayoutSpec()
    columns: dict[str, ColumnSpec | str] = Field(default_factory=dict)
    checks: ChecksSpec = ChecksSpec()

    @model_validator(mode="after")
    def _wide_needs_columns(self) -> Mapping:
        if self.layout.shape == "wide" and not self.columns:
            raise ValueError('a wide file needs a [columns] table mapping value columns to parameters')
        return self

    def column_specs(self) -> dict[str, ColumnSpec]:
        return {k: (ColumnSpec(parameter=v) if isinstance(v, str) else v) for k, v in self.columns.items()}


class MappingError(ValueError):
    pass


def load_mapping(path: Path) -> Mapping:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise MappingError(f"mapping file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from exc
    return parse_mapping(raw, str(path))


def parse_mapping(raw: dict, origin: str = "mapping") -> Mapping:
    from pydantic import ValidationError

    try:
        return Mapping.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise MappingError(f"{origin}: {problems}") from exc
