"""Incremental evaluation of stored air data: what `ecomon evaluate run|watch` do.

`run` evaluates a date range: hourly (real-time) AQI, daily AQI, then the monthly and annual assessments of
the months and years it touches, for stations, districts and cities. `process_dirty` takes the natural days
whose aggregates were rebuilt (late data, revisions, QC changes; queued by a trigger on `aggregate`) and
re-runs exactly those days and their months and years, under the rule set in force and under any other rule
set already stored for them, so no stored result keeps describing superseded data. The same pass recomputes
the stored soil, noise, radiation and water results whose inputs changed (`env_runner`).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from dataclasses import dataclass, field

import polars as pl
import psycopg

from ecomon.evaluation import aqi_results, assessment, env_runner, inputs
from ecomon.evaluation.places import Stations, air_stations
from ecomon.standards.rulesets import AqiRuleSet, aqi_ruleset_on
from ecomon.store import aggregates

log = logging.getLogger(__name__)


@dataclass
class RunCounts:
    hourly: int = 0
    daily: int = 0
    assessments: int = 0
    days: set[dt.date] = field(default_factory=set)
    env: env_runner.EnvCounts = field(default_factory=env_runner.EnvCounts)
    """Soil, noise, radiation and water results (`env_runner`)."""

    def add(self, other: RunCounts) -> None:
        self.hourly += other.hourly
        self.daily += other.daily
        self.assessments += other.assessments
        self.days |= other.days
        self.env.add(other.env)


def month_chunks(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """[first, last] cut at month boundaries (bounded memory for long ranges)."""
    chunks, start = [], first
    while start <= last:
        end = min(assessment.period_end("month", start), last)
        chunks.append((start, end))
        start = end + dt.timedelta(days=1)
    return chunks


def evaluate_days(conn: psycopg.Connection, stations: Stations, first: dt.date, last: dt.date, tz: str,
                  rule_set: AqiRuleSet | None = None) -> RunCounts:
    """Hourly and daily AQI of every station, district and city for the days first..last."""
    counts = RunCounts()
    if not stations.ids:
        return counts
    regions = [code for level in ("district", "city") for code in stations.frame[level].drop_nulls().unique()]
    for start, end in month_chunks(first, last):   # a month never straddles 2026-03-01: one rule set per chunk
        rule = rule_set or aqi_ruleset_on(start)
        span = (inputs.local_midnight(start, tz), inputs.local_midnight(end + dt.timedelta(days=1), tz))
        places = {"rule_set": rule, "span": span, "site_ids": stations.ids, "regions": regions}
        hourly = inputs.hourly_inputs(conn, stations.ids, start, end, tz)
        columns = (*inputs.HOURLY_COLUMNS, *inputs.MOVING)
        frame = aqi_results.with_regions(hourly, stations.frame, "t", columns)
        counts.hourly += aqi_results.replace(
            conn, aqi_results.evaluate(frame, time="t", period="hour", tz=tz, rule_set=rule), period="hour", **places)
        daily = inputs.daily_inputs(conn, stations.ids, start, end, tz)
        frame = aqi_results.with_regions(daily, stations.frame, "date", inputs.DAILY_COLUMNS)
        counts.daily += aqi_results.replace(
            conn, aqi_results.evaluate(frame, time="date", period="day", tz=tz, rule_set=rule), period="day", **places)
        counts.days |= set(daily["date"].to_list())
    return counts


def assess_periods(conn: psycopg.Connection, stations: Stations, first: dt.date, last: dt.date, tz: str,
                   rule_set: AqiRuleSet | None = None) -> int:
    """Monthly and annual assessments of the months and years that contain first..last (whole periods)."""
    if not stations.ids:
        return 0
    year_first, year_last = dt.date(first.year, 1, 1), dt.date(last.year, 12, 31)
    daily = inputs.daily_inputs(conn, stations.ids, year_first, year_last, tz)
    month_first = first.replace(day=1)
    written = 0
    month_last = assessment.period_end("month", last)
    months = daily.filter((pl.col("date") >= month_first) & (pl.col("date") <= month_last))
    if months.height:
        written += assessment.store(conn, assessment.assess(months, stations.frame, "month", rule_set=rule_set))
    if daily.height:
        written += assessment.store(conn, assessment.assess(daily, stations.frame, "year", rule_set=rule_set))
    return written


def run(conn: psycopg.Connection, first: dt.date, last: dt.date, tz: str, rule_set: AqiRuleSet | None = None,
        site_ids: list[int] | None = None) -> RunCounts:
    """Evaluate first..last (AQI and assessments) in the caller's transaction.

    Under the rules in force (rule_set None) the range's queued days are taken off the queue and any other rule
    set already stored for them is refreshed too, exactly as the watch loop would.
    """
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    stations = air_stations(conn, site_ids)
    if rule_set is not None:
        counts = evaluate_days(conn, stations, first, last, tz, rule_set)
        counts.assessments = assess_periods(conn, stations, first, last, tz, rule_set)
        return counts
    if site_ids is None:
        conn.execute("DELETE FROM evaluation_dirty WHERE day_start >= %s AND day_start < %s",
                     (inputs.local_midnight(first, tz), inputs.local_midnight(last + dt.timedelta(days=1), tz)))
    return _refresh(conn, stations, first, last, tz)


def _refresh(conn: psycopg.Connection, stations: Stations, first: dt.date, last: dt.date, tz: str) -> RunCounts:
    """first..last under the rules in force and under every other rule set stored for those days."""
    counts = RunCounts()
    for rule_set in (None, *_other_rule_sets(conn, first, last, tz)):
        part = evaluate_days(conn, stations, first, last, tz, rule_set)
        part.assessments = assess_periods(conn, stations, first, last, tz, rule_set)
        counts.add(part)
    return counts


def stored_range(conn: psycopg.Connection, tz: str) -> tuple[dt.date, dt.date] | None:
    """First and last local day with daily aggregates of an air station (the default range of `run`)."""
    row = conn.execute(
        """SELECT min((a.t AT TIME ZONE %(tz)s)::date), max((a.t AT TIME ZONE %(tz)s)::date)
           FROM aggregate a JOIN series se ON se.id = a.series_id JOIN site s ON s.id = se.site_id
           WHERE a.kind = 'day' AND s.element = 'air'""", {"tz": tz}).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def process_dirty(conn: psycopg.Connection, tz: str) -> RunCounts:
    """Re-evaluate the queued days (taken from the queue in this transaction; a failure puts them back), and the
    soil, noise, radiation and water results their sites' changes feed (`env_runner.process_dirty`)."""
    rows = conn.execute(
        "DELETE FROM evaluation_dirty RETURNING (day_start AT TIME ZONE %s)::date", (tz,)).fetchall()
    days = sorted({row[0] for row in rows})
    counts = RunCounts(env=env_runner.process_dirty(conn, tz))
    if not days:
        return counts
    stations = air_stations(conn)
    for first, last in _runs(days):
        counts.add(_refresh(conn, stations, first, last, tz))
    counts.days = set(days)
    return counts


def _other_rule_sets(conn: psycopg.Connection, first: dt.date, last: dt.date, tz: str) -> list[AqiRuleSet]:
    """Rule sets stored for these days besides the one in force (a user's re-evaluation to keep current)."""
    rows = conn.execute(
        """SELECT DISTINCT rule_set FROM aqi_result WHERE period = 'day'
           AND t >= %(lo)s AND t < %(hi)s""",
        {"lo": inputs.local_midnight(first, tz), "hi": inputs.local_midnight(last + dt.timedelta(days=1), tz)},
    ).fetchall()
    in_force = {aqi_ruleset_on(first), aqi_ruleset_on(last)}
    return [row[0] for row in rows if row[0] not in in_force]


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days → contiguous (first, last) runs."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def watch(url: str, tz: str, interval: float) -> None:
    """Service loop: rebuild dirty aggregates, then re-evaluate the days they touched; until SIGTERM/SIGINT."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from ecomon.store.db import connect

    with connect(url) as conn:
        while not stopping:
            started = time.monotonic()
            try:
                rebuilt = aggregates.rebuild_dirty(conn, tz)
                conn.commit()
                counts = process_dirty(conn, tz)
                conn.commit()
                if counts.days:
                    log.info("evaluated %d days (%d aggregate days rebuilt): %d hourly, %d daily, %d assessments",
                             len(counts.days), rebuilt, counts.hourly, counts.daily, counts.assessments)
                if counts.env.total or counts.env.skipped:
                    log.info("stored %s results; soil points not evaluated: %s",
                             ", ".join(f"{n} {element}" for element, n in counts.env.written.items()),
                             "; ".join(f"site {site}: {why}" for site, why in counts.env.skipped.items()) or "none")
            except psycopg.OperationalError:
                conn.rollback()
                log.exception("database unavailable; retrying")
            while not stopping and time.monotonic() - started < interval:
                time.sleep(0.2)
