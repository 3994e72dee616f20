"""Composable query filters (OpenAQ-style): each class validates its own parameters and renders a SQL condition.

A resource's query model inherits the filters it supports; `where()` of every base is combined with AND.
Column names are fixed by the resource (never taken from the request); values are always bound parameters.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecomon.web.errors import ApiError

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
Clause = tuple[str, list[object]]


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def clauses(self, cols: dict[str, str]) -> list[Clause]:
        """This filter's conditions, given the resource's column names."""
        return []

    def where(self, cols: dict[str, str]) -> Clause:
        """All filters of the model (every base class in the MRO), combined with AND."""
        parts: list[Clause] = []
        for cls in type(self).__mro__:
            if "clauses" in cls.__dict__ and issubclass(cls, Filter) and cls is not Filter:
                parts.extend(cls.clauses(self, cols))
        sql = " AND ".join(p[0] for p in parts) or "true"
        return sql, [a for p in parts for a in p[1]]


class Paging(Filter):
    limit: int = Field(100, ge=1, le=1000, description="rows per page (1–1000)")
    page: int = Field(1, ge=1, le=100_000, description="page number, from 1")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


class ElementFilter(Filter):
    element: str | None = Field(None, max_length=32, description="环境要素 / element, e.g. air, water")

    def clauses(self, cols: dict[str, str]) -> list[Clause]:
        return [(f"{cols['element']} = %s", [self.element])] if self.element else []


class RegionFilter(Filter):
    region: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3})?$",
                               description="GB/T 2260 region code; includes the regions below it")

    def clauses(self, cols: dict[str, str]) -> list[Clause]:
        return [(f"{cols['region']} IN (SELECT region_descendants(%s))", [self.region])] if self.region else []


class BBoxFilter(Filter):
    """Either a bounding box or a point with radius (OpenAQ's `bbox` / `coordinates` + `radius`)."""

    bbox: str | None = Field(None, description="minLon,minLat,maxLon,maxLat (WGS84)")
    coordinates: str | None = Field(None, description="lat,lon of a centre point (WGS84)")
    radius: int | None = Field(None, ge=1, le=100_000, description="metres around `coordinates`")
    EARTH_RADIUS_M: ClassVar[float] = 6_371_008.8

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, v: str | None) -> str | None:
        if v is None:
            return v
        lo_x, lo_y, hi_x, hi_y = _floats(v, 4, "bbox")
        if not (-180 <= lo_x <= hi_x <= 180 and -90 <= lo_y <= hi_y <= 90):
            raise ValueError("bbox must be minLon,minLat,maxLon,maxLat with min <= max inside WGS84 bounds")
        return v

    @field_validator("coordinates")
    @classmethod
    def _coordinates(cls, v: str | None) -> str | None:
        if v is None:
            return v
        lat, lon = _floats(v, 2, "coordinates")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("coordinates must be lat,lon inside WGS84 bounds")
        return v

    def clauses(self, cols: dict[str, str]) -> list[Clause]:
        if (self.coordinates is None) != (self.radius is None):
            raise ApiError(422, "invalid_location", "coordinates and radius go together")
        if self.bbox and self.coordinates:
            raise ApiError(422, "invalid_location", "use either bbox or coordinates+radius, not both")
        lon, lat = cols["lon"], cols["lat"]
        if self.bbox:
            return [(f"{lon} BETWEEN %s AND %s AND {lat} BETWEEN %s AND %s",
                     list(_pairs(_floats(self.bbox, 4, "bbox"))))]
        if self.coordinates:
            c_lat, c_lon = _floats(self.coordinates, 2, "coordinates")
            # Haversine distance in SQL (no PostGIS dependency).
            haversine = (f"2 * %s * asin(sqrt(power(sin(radians({lat} - %s) / 2), 2) + cos(radians(%s)) * "
                         f"cos(radians({lat})) * power(sin(radians({lon} - %s) / 2), 2))) <= %s")
            return [(haversine,
                     [self.EARTH_RADIUS_M, c_lat, c_lat, c_lon, self.radius])]
        return []


def _floats(text: str, n: int, name: str) -> list[float]:
    parts = text.split(",")
    if len(parts) != n:
        raise ValueError(f"{name} needs {n} comma-separated numbers")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"{name} needs {n} comma-separated numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} numbers must be finite")
    return values


def _pairs(v: list[float]) -> tuple[float, float, float, float]:
    lo_x, lo_y, hi_x, hi_y = v
    return lo_x, hi_x, lo_y, hi_y


class TimeRange(Filter):
    """Half-open [from, to); times without an offset are China Standard Time (UTC+8)."""

    date_from: datetime | None = Field(None, alias="from", description="start (inclusive), ISO 8601")
    date_to: datetime | None = Field(None, alias="to", description="end (exclusive), ISO 8601")
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("date_from", "date_to")
    @classmethod
    def _local(cls, v: datetime | None) -> datetime | None:
        return v.replace(tzinfo=LOCAL_TZ) if v is not None and v.tzinfo is None else v

    def clauses(self, cols: dict[str, str]) -> list[Clause]:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ApiError(422, "invalid_time_range", "`from` is after `to`",
                           {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()})
        out: list[Clause] = []
        if self.date_from:
            out.append((f"{cols['t']} >= %s", [self.date_from]))
        if self.date_to:
            out.append((f"{cols['t']} < %s", [self.date_to]))
        return out


class ParameterFilter(Filter):
    parameter: str | None = Field(None, max_length=32, description="HJ 212 factor code or alias, e.g. a34004, PM2.5")

    def clauses(self, cols: dict[str, str]) -> list[Clause]:
        return [(f"{cols['parameter']} = %s", [self.parameter])] if self.parameter else []


class SiteFilters(ElementFilter, RegionFilter, BBoxFilter, Paging):
    site_type: str | None = Field(None, max_length=32, description="site type, e.g. urban")
    state: Literal["planned", "building", "active", "suspended", "retired"] | None = None

    def clauses(self, cols: dict[str, str]) -> list[Clause]:
        out: list[Clause] = []
        if self.site_type:
            out.append((f"{cols['site_type']} = %s", [self.site_type]))
        if self.state:
            out.append((f"{cols['state']} = %s", [self.state]))
        return out


Format = Literal["json", "csv"]
