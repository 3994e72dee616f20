"""Alarm events from the detectors: stored once per finding, listed region-scoped, confirmed or dismissed by staff.

A verdict (confirmed = real problem, dismissed = false alarm) is kept with who and why; those verdicts are the
labels the detector thresholds are tuned on (`ecomon alarms list --status confirmed --format csv`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np
import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.quality.detectors.catalogue import CATALOGUE
from ecomon.quality.detectors.events import AlarmEvent
from ecomon.web.auth import audit
from ecomon.web.auth.principal import Principal
from ecomon.web.auth.scope import site_condition

STATUSES = ("open", "confirmed", "dismissed")
VERDICTS = ("confirmed", "dismissed")
LABELS = {d.name: d.label_zh for d in CATALOGUE}
VERDICT_ROLES = frozenset({"admin", "centre", "reviewer"})


def _utc(t: np.datetime64) -> str:
    return str(t.astype("datetime64[s]")) + "Z"


def store_events(conn: psycopg.Connection, events: Iterable[AlarmEvent], codes: Mapping[str, str],
                 actor: str) -> int:
    """Insert new events (a finding already stored for the same detector, site, parameter and start is kept as
    it is, with its verdict); `codes` maps the detectors' parameter names to HJ 212 codes. Returns new events."""
    rows = [(e.detector, e.station, codes.get(e.parameter, e.parameter), _utc(e.start), _utc(e.end),
             round(float(e.score), 4), json.dumps({"statistics": e.evidence, "series": e.series}, ensure_ascii=False))
            for e in events]
    if not rows:
        return 0
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS alarm_stage (detector text, site text, parameter_code text, "
                    "t_start timestamptz, t_end timestamptz, score double precision, evidence jsonb) ON COMMIT DROP")
        cur.execute("TRUNCATE alarm_stage")
        with cur.copy("COPY alarm_stage FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            """INSERT INTO alarm_event (detector, site_id, parameter_code, t_start, t_end, score, evidence)
               SELECT a.detector, s.id, a.parameter_code, a.t_start, a.t_end, a.score, a.evidence
               FROM alarm_stage a JOIN site s ON s.code = a.site
               ON CONFLICT (detector, site_id, parameter_code, t_start) DO NOTHING""")
        new = cur.rowcount
    if new:
        conn.execute("INSERT INTO audit_event (actor, action, target, detail) VALUES (%s, 'alarm.create', "
                     "'alarm_event', %s)", (actor, json.dumps({"events": new})))
    return new


_LIST = """SELECT a.id, a.detector, s.code AS site, s.name_zh AS site_name, a.parameter_code, a.t_start, a.t_end,
                  a.score, a.status, a.created_at, a.verdict_by, a.verdict_at, a.verdict_note
           FROM alarm_event a JOIN site s ON s.id = a.site_id"""


async def list_alarms(conn: AsyncConnection, principal: Principal, *, status: str | None = None,
                      site: str | None = None, detector: str | None = None, limit: int = 100,
                      offset: int = 0) -> tuple[int, list[dict]]:
    """Alarms of sites the principal may see, newest first; returns (total found, one page)."""
    scope, args = site_condition(principal, "s")
    where = [scope]
    for column, value in (("a.status", status), ("s.code", site), ("a.detector", detector)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT *, count(*) OVER () AS found_ FROM ({_LIST} WHERE {' AND '.join(where)}) q "
                      "ORDER BY t_start DESC, id DESC LIMIT %s OFFSET %s", [*args, limit, offset])
    rows = await cur.fetchall()
    found = rows[0].pop("found_") if rows else 0
    for row in rows:
        row.pop("found_", None)
        row["detector_label"] = LABELS.get(row["detector"], row["detector"])
    return found, rows


async def get_alarm(conn: AsyncConnection, principal: Principal, alarm_id: int) -> dict | None:
    """One alarm with its evidence, if its site is visible to the principal."""
    scope, args = site_condition(principal, "s")
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT q.*, a.evidence FROM ({_LIST} WHERE a.id = %s AND {scope}) q "
                      "JOIN alarm_event a ON a.id = q.id", [alarm_id, *args])
    row = await cur.fetchone()
    if row is not None:
        row["detector_label"] = LABELS.get(row["detector"], row["detector"])
    return row


async def set_verdict(conn: AsyncConnection, principal: Principal, alarm_id: int, verdict: str,
                      note: str | None, ip: str | None = None) -> dict | None:
    """Confirm or dismiss a visible alarm (changing an earlier verdict is allowed and audited)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
    if await get_alarm(conn, principal, alarm_id) is None:
        return None
    await conn.execute(
        "UPDATE alarm_event SET status = %s, verdict_by = %s, verdict_at = now(), verdict_note = %s WHERE id = %s",
        (verdict, principal.username, note, alarm_id))
    await audit.record(conn, principal.username, f"alarm.{verdict}", f"alarm:{alarm_id}",
                       {"note": note} if note else {}, ip)
    return await get_alarm(conn, principal, alarm_id)
