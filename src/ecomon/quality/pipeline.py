"""QC on ingest: run the pure rule tests (quality/rules) on stored observations and the detectors batch-wise.

Ingested rows are queued per (series, UTC day) in `qc_pending` by a database trigger (migration 0005), so every
ingest path (files, API, HJ 212 writer) is covered. `run_pending` drains the queue in batches: it loads each
queued day with one day of context around it, for every series of the same place (pair tests need the partner
parameter), runs `run_rules` with the active threshold version, and writes per value

- `observation.qc_flag` (only while the value is still preliminary: a reviewer's decision is never overwritten),
- `qc_result` (bitmasks of the tests that said suspect/fail; the previous outcome goes to `qc_result_history`),
- `aggregate_dirty` for changed values, so aggregates drop values that became invalid (store/aggregates.py
  excludes qc_flag 4 and 9) and the reason stays in qc_result / review_action.

All flag updates of a batch are one statement, hence one chained audit record with the batch digest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import psycopg
from psycopg import sql

from ecomon.quality import alarms, audit, audit_data
from ecomon.quality.detectors.catalogue import detect_hourly
from ecomon.quality.flags import Flag
from ecomon.quality.rules.config import RULE_SETS, RuleSet
from ecomon.quality.rules.device_flags import HJ212_2017
from ecomon.quality.rules.runner import QC_COLUMNS, run_rules
from ecomon.quality.thresholds import active_rule_set

# Bit i of qc_result.suspect / qc_result.fail is test i (documented in docs/quality.md).
TEST_BITS = tuple(c.removeprefix("qc_") for c in QC_COLUMNS[:-1])
# Which rule set checks which series: (interval kind, place kind) → rule set id.
RULE_SET_FOR = {("hour", "site"): "air-hourly", ("minute", "outlet"): "cems-minute"}
CONTEXT = timedelta(days=1)

log = logging.getLogger("ecomon.quality")


@dataclass(frozen=True)
class QcCounts:
    days: int = 0
    values: int = 0
    changed: int = 0
    suspect: int = 0
    failed: int = 0

    def __add__(self, other: QcCounts) -> QcCounts:
        return QcCounts(*(a + b for a, b in zip(self.__dict__.values(), other.__dict__.values(), strict=True)))


def parameter_codes(conn: psycopg.Connection, rules: RuleSet) -> dict[str, str]:
    """HJ 212 code of each parameter name of a rule set (PM2.5 → a34004), via the registry's aliases."""
    names = list(rules.parameters) + [p[k] for p in rules.pairs for k in ("part", "whole")]
    rows = conn.execute(
        """SELECT n, coalesce((SELECT code FROM parameter WHERE code = n),
                              (SELECT code FROM parameter_alias WHERE alias = lower(n)))
           FROM unnest(%s::text[]) AS n""", (sorted(set(names)),)).fetchall()
    return {name: code for name, code in rows if code is not None}


def _claim(conn: psycopg.Connection, limit: int) -> pl.DataFrame:
    """Newest days first, so a history backlog never delays the real-time data; all series of a day together,
    so a batch reads a short span of each place once."""
    rows = conn.execute(
        """DELETE FROM qc_pending WHERE (series_id, day) IN (
               SELECT series_id, day FROM qc_pending ORDER BY day DESC, series_id LIMIT %s FOR UPDATE SKIP LOCKED)
           RETURNING series_id, day""", (limit,)).fetchall()
    return pl.DataFrame(rows, schema={"series_id": pl.Int32, "day": pl.Date}, orient="row")


def _load(conn: psycopg.Connection, claimed: pl.DataFrame) -> pl.DataFrame:
    """Observations of every series at the claimed places and interval, over each claimed day ± CONTEXT."""
    rows = conn.execute(
        """WITH c AS (SELECT * FROM unnest(%s::integer[], %s::date[]) AS c(series_id, day)),
                place AS (SELECT s.site_id, s.outlet_id, s.interval_kind, min(c.day) AS lo, max(c.day) AS hi
                          FROM c JOIN series s ON s.id = c.series_id GROUP BY 1, 2, 3)
           SELECT o.series_id, o.t, o.value, o.data_flag, se.parameter_code, se.interval_kind,
                  CASE WHEN se.site_id IS NOT NULL THEN 'site' ELSE 'outlet' END,
                  coalesce(si.code, 'outlet:' || se.outlet_id), si.site_type
           FROM place p
           JOIN series se ON se.site_id IS NOT DISTINCT FROM p.site_id AND se.outlet_id IS NOT DISTINCT FROM p.outlet_id
                AND se.interval_kind = p.interval_kind
           LEFT JOIN site si ON si.id = se.site_id
           JOIN observation o ON o.series_id = se.id
                AND o.t >= p.lo::timestamp AT TIME ZONE 'UTC' - %s
                AND o.t < (p.hi + 1)::timestamp AT TIME ZONE 'UTC' + %s""",
        (claimed["series_id"].to_list(), claimed["day"].to_list(), CONTEXT, CONTEXT)).fetchall()
    schema = {"series_id": pl.Int32, "time": pl.Datetime("us", "UTC"), "value": pl.Float64, "flag": pl.String,
              "code": pl.String, "interval_kind": pl.String, "place_kind": pl.String, "station": pl.String,
              "site_type": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def check(data: pl.DataFrame, rules: RuleSet, codes: Mapping[str, str]) -> pl.DataFrame:
    """Run the rule tests on loaded rows of one rule set; returns series_id, t, qc_flag, suspect, fail."""
    # only parameters the rule set has thresholds for (a pair partner without its own thresholds, e.g. NOx in
    # air-hourly, is not loaded; its pair test then reports "not evaluated")
    names = {code: name for name, code in codes.items() if name in rules.parameters}
    # absent data flag = N; a code the HJ 212-2017 table does not know counts as a fault (invalid, reviewable)
    flag = pl.col("flag").fill_null("N")
    frame = (data.filter(pl.col("code").is_in(list(names)))
             .with_columns(parameter=pl.col("code").replace_strict(names),
                           flag=pl.when(flag.is_in(list(HJ212_2017))).then(flag).otherwise(pl.lit("D"))))
    if frame.height == 0:
        return pl.DataFrame(schema={"series_id": pl.Int32, "t": pl.Datetime("us", "UTC"), "qc_flag": pl.Int16,
                                    "suspect": pl.Int16, "fail": pl.Int16})
    types = dict(frame.select("station", "site_type").unique().iter_rows())
    flagged = run_rules(frame, rules, {k: v for k, v in types.items() if v})
    suspect = np.zeros(flagged.height, dtype=np.int16)
    fail = np.zeros(flagged.height, dtype=np.int16)
    for bit, test in enumerate(TEST_BITS):
        col = flagged[f"qc_{test}"].to_numpy()
        suspect |= np.where(col == Flag.SUSPECT, 1 << bit, 0).astype(np.int16)
        fail |= np.where(col == Flag.FAIL, 1 << bit, 0).astype(np.int16)
    return flagged.select("series_id", pl.col("time").alias("t"), pl.col("qc").cast(pl.Int16).alias("qc_flag"),
                          suspect=pl.Series(suspect), fail=pl.Series(fail))


def _write(conn: psycopg.Connection, results: pl.DataFrame, version: int, local_tz: str) -> int:
    """Store per-test outcomes and aggregate flags; returns how many observation flags changed."""
    with conn.cursor() as cur:
        cur.execute("""CREATE TEMP TABLE IF NOT EXISTS qc_stage (series_id integer, t timestamptz,
                       qc_flag smallint, suspect smallint, fail smallint) ON COMMIT DROP""")
        cur.execute("TRUNCATE qc_stage")
        with cur.copy("COPY qc_stage (series_id, t, qc_flag, suspect, fail) FROM STDIN") as copy:
            for row in results.iter_rows():
                copy.write_row(row)
        cur.execute(
            """INSERT INTO qc_result_history (series_id, t, suspect, fail, qc_flag, version, checked_at)
               SELECT r.series_id, r.t, r.suspect, r.fail, r.qc_flag, r.version, r.checked_at
               FROM qc_result r JOIN qc_stage s USING (series_id, t)
               WHERE (r.suspect, r.fail, r.qc_flag, r.version) IS DISTINCT FROM (s.suspect, s.fail, s.qc_flag, %s)""",
            (version,))
        cur.execute("""DELETE FROM qc_result r USING qc_stage s
                       WHERE r.series_id = s.series_id AND r.t = s.t AND s.suspect = 0 AND s.fail = 0""")
        cur.execute(
            """INSERT INTO qc_result (series_id, t, suspect, fail, qc_flag, version)
               SELECT series_id, t, suspect, fail, qc_flag, %s FROM qc_stage WHERE suspect <> 0 OR fail <> 0
               ON CONFLICT (series_id, t) DO UPDATE SET suspect = excluded.suspect, fail = excluded.fail,
                   qc_flag = excluded.qc_flag, version = excluded.version, checked_at = now()
               WHERE (qc_result.suspect, qc_result.fail, qc_result.qc_flag, qc_result.version)
                     IS DISTINCT FROM (excluded.suspect, excluded.fail, excluded.qc_flag, excluded.version)""",
            (version,))
        cur.execute(
            """UPDATE observation o SET qc_flag = s.qc_flag FROM qc_stage s
               WHERE o.series_id = s.series_id AND o.t = s.t AND o.review_state = 0
                 AND o.t BETWEEN %s AND %s AND o.qc_flag IS DISTINCT FROM s.qc_flag""",
            (results["t"].min(), results["t"].max()))
        changed = cur.rowcount
        cur.execute("""UPDATE latest_value l SET qc_flag = s.qc_flag FROM qc_stage s
                       WHERE l.series_id = s.series_id AND l.t = s.t AND l.review_state = 0
                         AND l.qc_flag IS DISTINCT FROM s.qc_flag""")
        if changed:
            cur.execute(
                """INSERT INTO aggregate_dirty (series_id, day)
                   SELECT DISTINCT series_id, (t AT TIME ZONE %s)::date FROM qc_stage ON CONFLICT DO NOTHING""",
                (local_tz,))
    return changed


def run_batch(conn: psycopg.Connection, *, actor: str, local_tz: str, limit: int = 2000) -> QcCounts:
    """Claim up to `limit` queued series-days, check them, write the outcomes; the caller commits."""
    claimed = _claim(conn, limit)
    if claimed.height == 0:
        return QcCounts()
    audit.attribute(conn, actor, "qc")
    data = _load(conn, claimed)
    keep = claimed.select("series_id", pl.col("day").alias("_day"))
    out = QcCounts(days=claimed.height)
    for (interval_kind, place_kind), rule_id in RULE_SET_FOR.items():
        part = data.filter((pl.col("interval_kind") == interval_kind) & (pl.col("place_kind") == place_kind))
        if part.height == 0:
            continue
        rules, version = active_rule_set(conn, RULE_SETS[rule_id], actor)
        results = check(part, rules, parameter_codes(conn, rules))
        # write only the claimed days (context rows were read to judge them, not to re-flag them)
        results = results.with_columns(_day=pl.col("t").dt.date()).join(keep, on=["series_id", "_day"]).drop("_day")
        if results.height == 0:
            continue
        changed = _write(conn, results, version, local_tz)
        out += QcCounts(values=results.height, changed=changed,
                        suspect=int((results["qc_flag"] == Flag.SUSPECT).sum()),
                        failed=int((results["qc_flag"] == Flag.FAIL).sum()))
    return out


def queue_range(conn: psycopg.Connection, t_from: datetime, t_to: datetime, site: str | None = None) -> int:
    """Queue every stored series-day in [t_from, t_to) (optionally one site) for a batch re-check."""
    cur = conn.execute(
        """INSERT INTO qc_pending (series_id, day)
           SELECT DISTINCT o.series_id, (o.t AT TIME ZONE 'UTC')::date FROM observation o
           JOIN series se ON se.id = o.series_id LEFT JOIN site si ON si.id = se.site_id
           WHERE o.t >= %s AND o.t < %s AND (%s::text IS NULL OR si.code = %s)
           ON CONFLICT (series_id, day) DO NOTHING""", (t_from, t_to, site, site))
    return cur.rowcount


def drain(conn: psycopg.Connection, *, actor: str, local_tz: str, limit: int = 2000) -> QcCounts:
    """Run batches until the queue is empty, committing after each."""
    total = QcCounts()
    while True:
        counts = run_batch(conn, actor=actor, local_tz=local_tz, limit=limit)
        conn.commit()
        if counts.days == 0:
            return total
        total += counts


# ---------------------------------------------------------------- detectors → alarm events
AIR_DETECTOR_PARAMETERS = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")


def detect(conn: psycopg.Connection, t_from: datetime, t_to: datetime, *, actor: str) -> int:
    """Run the hourly detector catalogue over air sites in [t_from, t_to); store new alarm events."""
    codes = parameter_codes(conn, RULE_SETS["air-hourly"])
    wanted = {codes[p]: p for p in AIR_DETECTOR_PARAMETERS if p in codes}
    frame = _detector_input(conn, t_from, t_to, list(wanted))
    if frame.is_empty():
        return 0
    frame = frame.with_columns(pl.col("parameter").replace_strict(wanted))
    coords = {code: (lon, lat) for code, lon, lat in conn.execute(
        "SELECT code, lon, lat FROM site WHERE code = ANY(%s) AND lon IS NOT NULL AND lat IS NOT NULL",
        (frame["station"].unique().to_list(),)).fetchall()}
    complete = set(frame["station"].unique().to_list()) <= set(coords)
    events = detect_hourly(frame, coords if complete and len(coords) >= 3 else None)
    return alarms.store_events(conn, events, {name: code for code, name in wanted.items()}, actor)


def _detector_input(conn: psycopg.Connection, t_from: datetime, t_to: datetime, codes: list[str]) -> pl.DataFrame:
    """Hourly air values as a long frame, streamed with COPY: years of a network are millions of rows, and
    building Python tuples for them cost far more than the detectors themselves."""
    query = sql.SQL(
        """COPY (SELECT extract(epoch FROM o.t)::bigint, si.code, se.parameter_code, o.value FROM observation o
                 JOIN series se ON se.id = o.series_id AND se.interval_kind = 'hour'
                 JOIN site si ON si.id = se.site_id AND si.element = 'air'
                 WHERE o.t >= {} AND o.t < {} AND se.parameter_code = ANY({}) AND o.value IS NOT NULL)
           TO STDOUT (FORMAT csv)""").format(sql.Literal(t_from), sql.Literal(t_to), sql.Literal(codes))
    buffer = bytearray()
    with conn.cursor().copy(query) as copy:
        for chunk in copy:
            buffer += chunk
    schema = {"epoch": pl.Int64, "station": pl.String, "parameter": pl.String, "value": pl.Float64}
    if not buffer:
        return pl.DataFrame(schema={"time": pl.Datetime("us", "UTC"), **dict(list(schema.items())[1:])})
    frame = pl.read_csv(bytes(buffer), has_header=False, new_columns=list(schema), schema_overrides=schema)
    return frame.select(pl.from_epoch("epoch", time_unit="s").dt.replace_time_zone("UTC").alias("time"),
                        "station", "parameter", "value")


def watch(*, actor: str, local_tz: str, poll: float = 2.0, detect_every: float = 3600.0,
          detect_days: int = 60, checkpoint_every: float = 3600.0, stop: object = None) -> None:
    """The worker loop: QC of newly stored data as it arrives, detectors and an audit checkpoint periodically.

    `stop` is an object with an `is_set()` method (threading.Event) to end the loop; used by the supervisor's
    signal handling and by tests.
    """
    from ecomon.store.db import connect

    last_detect = last_checkpoint = 0.0
    with connect() as conn:
        while stop is None or not stop.is_set():  # type: ignore[attr-defined]
            try:
                counts = run_batch(conn, actor=actor, local_tz=local_tz)
                conn.commit()
            except (psycopg.errors.TransactionRollback, psycopg.errors.DeadlockDetected) as error:
                # Deadlock or serialisation failure against a concurrent writer: PostgreSQL rolled this batch
                # back whole, its days are still pending, so the next pass simply does them again.
                conn.rollback()
                log.warning("QC batch rolled back (%s); retrying", error.sqlstate)
                time.sleep(poll)
                continue
            audit_data.seal(conn, actor)       # provisional states of open days, day states of closed ones
            conn.commit()
            now = time.monotonic()
            if now - last_detect >= detect_every:
                end = datetime.now().astimezone()
                detect(conn, end - timedelta(days=detect_days), end, actor=actor)
                conn.commit()
                last_detect = now
            if now - last_checkpoint >= checkpoint_every:
                try:
                    audit.checkpoint(conn, actor)
                    conn.commit()
                except ValueError as error:   # a broken chain or a signing key the database does not know
                    conn.rollback()               # QC goes on; `ecomon audit verify` tells the whole story
                    log.warning("audit checkpoint not taken: %s", error)
                last_checkpoint = now
            if counts.days == 0:
                time.sleep(poll)
