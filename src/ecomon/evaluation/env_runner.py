"""Evaluation of stored soil, noise, radiation, surface-water and ecology data into `env_result`.

`evaluate` computes a date range: soil samples of exactly those days (GB 15618 / GB 36600 by land use), and the
whole calendar months the range touches for functional-zone noise (every station-day-period and the monthly
compliance, GB 3096-2008), gamma dose rate (monthly, against the station's baseline) and surface-water sections
(monthly class, GB 3838-2002), and the years it touches for the ecological index of ecology sites (HJ 192-2015,
with the change against the year before). `process_dirty` takes the (site, local day) pairs queued in `env_result_dirty`
(a trigger on `aggregate_dirty`, which every writer fills, migration 0013) and recomputes what they feed:
the soil samples of that day; the noise months of that day and the day before (a night runs to 06:00 of the
next day); the water month; the gamma month and the later months up to the current one whose 365-day baseline
contains the day. The air evaluation (`runner`) calls it in the same transaction. The watch loop rebuilds (and so
empties) `aggregate_dirty` before it, so a later change of the same series and day inserts there again and is
queued again (an insert that meets a pending row of `aggregate_dirty` finds this queue's row pending too).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import psycopg

from ecomon.evaluation import (
    ecology_regions,
    env_results,
    gamma_stations,
    noise_zones,
    soil_samples,
    water_sections,
)

ELEMENTS = env_results.ELEMENTS


@dataclass
class EnvCounts:
    written: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ELEMENTS, 0))
    skipped: dict[int, str] = field(default_factory=dict)
    """Soil points whose samples could not be evaluated, with the reason (registry attributes to fix)."""

    def add(self, other: EnvCounts) -> None:
        for element, count in other.written.items():
            self.written[element] += count
        self.skipped.update(other.skipped)

    @property
    def total(self) -> int:
        return sum(self.written.values())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the calendar months that first..last touches."""
    result, month = [], month_start(first)
    while month <= last:
        result.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return result


def evaluate(conn: psycopg.Connection, first: dt.date, last: dt.date, tz: str,
             site_ids: Sequence[int] | None = None, elements: Sequence[str] = ELEMENTS) -> EnvCounts:
    """Evaluate and store first..last (whole months for the monthly elements) in the caller's transaction."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    unknown = set(elements) - set(ELEMENTS)
    if unknown:
        raise ValueError(f"unknown element {min(unknown)!r}; expected {', '.join(ELEMENTS)}")
    counts = EnvCounts()
    ids = None if site_ids is None else list(site_ids)
    if "soil" in elements:
        outcome = soil_samples.evaluate(conn.execute(*soil_samples.sample_query(first, last, tz, ids)).fetchall())
        counts.written["soil"] = env_results.replace(conn, "soil", ("sample",), first, last, ids, outcome.results)
        counts.skipped.update(outcome.skipped)
    scope = ("s.id = ANY(%s)", [ids]) if ids is not None else ("true", [])
    if "ecology" in elements:
        rows = conn.execute(*ecology_regions.year_query(first.year, last.year, tz, *scope)).fetchall()
        counts.written["ecology"] = env_results.replace(
            conn, "ecology", ("year",), dt.date(first.year, 1, 1), dt.date(last.year, 1, 1), ids,
            ecology_regions.year_results(rows, first.year, last.year))
    for month in months(first, last):
        end = month_end(month)
        if "noise" in elements:
            counts.written["noise"] += _noise_month(conn, month, end, tz, scope, ids)
        if "radiation" in elements:
            summary = gamma_stations.station_summary(
                conn.execute(*gamma_stations.hourly_query(month, end, tz, *scope)).fetchall())
            counts.written["radiation"] += env_results.replace(
                conn, "radiation", ("month",), month, month, ids, gamma_stations.month_results(summary, month))
        if "water" in elements:
            sections = water_sections.classify_sections(
                conn.execute(*water_sections.month_query(month, tz, *scope)).fetchall())
            counts.written["water"] += env_results.replace(
                conn, "water", ("month",), month, month, ids,
                water_sections.month_results(sections, month) if sections.height else [])
    return counts


def _noise_month(conn: psycopg.Connection, month: dt.date, end: dt.date, tz: str,
                 scope: tuple[str, list[object]], ids: list[int] | None) -> int:
    rows = conn.execute(*noise_zones.hourly_query(month, end, tz, *scope)).fetchall()
    levels = noise_zones.period_levels(rows)
    periods = noise_zones.period_results(levels) if levels.height else []
    monthly = noise_zones.month_results(levels, month) if levels.height else []
    return (env_results.replace(conn, "noise", ("day", "night"), month, end, ids, periods)
            + env_results.replace(conn, "noise", ("month",), month, month, ids, monthly))


def process_dirty(conn: psycopg.Connection, tz: str) -> EnvCounts:
    """Recompute what the queued (site, day) pairs feed (taken from the queue in this transaction)."""
    rows = conn.execute(
        """WITH d AS (DELETE FROM env_result_dirty RETURNING site_id, day)
           SELECT s.element, d.site_id, d.day FROM d JOIN site s ON s.id = d.site_id""").fetchall()
    counts = EnvCounts()
    if not rows:
        return counts
    current = month_start(dt.datetime.now(ZoneInfo(tz)).date())
    soil_days: dict[dt.date, set[int]] = defaultdict(set)
    monthly: dict[tuple[str, dt.date], set[int]] = defaultdict(set)
    ecology_years: dict[int, set[int]] = defaultdict(set)
    for element, site_id, day in rows:
        if element == "soil":
            soil_days[day].add(site_id)
        elif element == "noise":
            for touched in {month_start(day - dt.timedelta(days=1)), month_start(day)}:
                monthly[("noise", touched)].add(site_id)
        elif element == "water":
            monthly[("water", month_start(day))].add(site_id)
        elif element == "ecology":      # the year, and the next one whose change is measured against it
            for year in (day.year, day.year + 1):
                ecology_years[year].add(site_id)
        elif element == "radiation":
            horizon = min(month_start(day + dt.timedelta(days=gamma_stations.BASELINE_DAYS)), current)
            for touched in months(month_start(day), max(horizon, month_start(day))):
                monthly[("radiation", touched)].add(site_id)
    for day, sites in sorted(soil_days.items()):
        counts.add(evaluate(conn, day, day, tz, sorted(sites), ("soil",)))
    for (element, month), sites in sorted(monthly.items()):
        counts.add(evaluate(conn, month, month, tz, sorted(sites), (element,)))
    for year, sites in sorted(ecology_years.items()):
        counts.add(evaluate(conn, dt.date(year, 1, 1), dt.date(year, 1, 1), tz, sorted(sites), ("ecology",)))
    return counts


def stored_range(conn: psycopg.Connection, tz: str) -> tuple[dt.date, dt.date] | None:
    """First and last local day with observations of a soil, noise, radiation or water site (the default range
    of `ecomon evaluate env`)."""
    row = conn.execute(
        """SELECT min((o.t AT TIME ZONE %(tz)s)::date), max((o.t AT TIME ZONE %(tz)s)::date)
           FROM observation o JOIN series se ON se.id = o.series_id JOIN site s ON s.id = se.site_id
           WHERE s.element = ANY(%(elements)s)""", {"tz": tz, "elements": list(ELEMENTS)}).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])
