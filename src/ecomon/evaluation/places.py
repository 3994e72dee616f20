"""Where results are computed: air stations, and the districts and cities their stations are averaged into."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import psycopg

AIR_PARAMETERS = {"a21026": "SO2", "a21004": "NO2", "a21005": "CO", "a05024": "O3", "a34002": "PM10",
                  "a34004": "PM2.5"}
"""HJ 212-2017 factor codes of the six basic items of GB 3095 → the column names of the standards engine."""


@dataclass(frozen=True)
class Stations:
    """Air stations with their district (county region) and city (city-level ancestor region)."""

    frame: pl.DataFrame
    """site_id, code, name_zh, district, city, monitored (comma-joined sorted pollutant names)"""

    @property
    def ids(self) -> list[int]:
        return self.frame["site_id"].to_list()

    def station_codes(self) -> dict[int, str]:
        return dict(zip(self.frame["site_id"].to_list(), self.frame["code"].to_list(), strict=True))


def air_stations(conn: psycopg.Connection, site_ids: list[int] | None = None) -> Stations:
    """Active and suspended air stations (retired ones keep their results but are no longer evaluated).

    `monitored` is the station's monitoring plan (HJ 633-2026 数据完整性: a pollutant outside it does not block
    publication): the HJ 212 codes listed in the site's `attrs.monitored_parameters` when the registry sets
    them, otherwise the basic items the station has an hourly series of. A pollutant never monitored at a
    station cannot have been its primary pollutant in the past three years, the standard's other condition.
    """
    rows = conn.execute(
        """SELECT s.id, s.code, s.name_zh,
                  (SELECT r.code FROM region r WHERE r.code = s.region_code AND r.level = 'county'),
                  (SELECT r.code FROM region r WHERE r.code IN (SELECT region_ancestors(s.region_code))
                   AND r.level = 'city'),
                  CASE WHEN jsonb_typeof(s.attrs -> 'monitored_parameters') = 'array'
                       THEN ARRAY(SELECT jsonb_array_elements_text(s.attrs -> 'monitored_parameters'))
                       ELSE ARRAY(SELECT se.parameter_code FROM series se
                                  WHERE se.site_id = s.id AND se.interval_kind = 'hour') END
           FROM site s WHERE s.element = 'air' AND s.state IN ('active', 'suspended')
             AND (%(ids)s::bigint[] IS NULL OR s.id = ANY(%(ids)s))
           ORDER BY s.code""", {"ids": site_ids}).fetchall()
    rows = [(*row[:5], monitored_key(row[5])) for row in rows]
    return Stations(pl.DataFrame(rows, schema={"site_id": pl.Int64, "code": pl.Utf8, "name_zh": pl.Utf8,
                                               "district": pl.Utf8, "city": pl.Utf8, "monitored": pl.Utf8},
                                 orient="row"))


def monitored_key(codes: list[str]) -> str:
    """Basic items among HJ 212 codes as one sortable key ("CO,NO2,O3"), so places group by monitoring plan."""
    return ",".join(sorted({AIR_PARAMETERS[c] for c in codes if c in AIR_PARAMETERS}))


def region_names(conn: psycopg.Connection, codes: list[str]) -> dict[str, str]:
    """Display names; a municipality's "市辖区" city level is shown with its province's name (北京市)."""
    rows = conn.execute(
        """SELECT r.code, CASE WHEN r.name_zh = '市辖区' THEN p.name_zh ELSE r.name_zh END
           FROM region r LEFT JOIN region p ON p.code = r.parent_code WHERE r.code = ANY(%s)""", (codes,)).fetchall()
    return dict(rows)
