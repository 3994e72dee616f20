"""Two-tier review and electronic sign-off ("谁签字谁负责"), with every attempt recorded.

States of a value: 0 preliminary (auto-QC only) → 1 reviewed (一审, station staff: role reviewer, or centre) →
2 audited (二审, monitoring centre: role centre) → 3 released (centre). Steps work in bulk on one site, a period
and optionally one parameter.

- accept: promote values one level (only values at the level below move; others are counted as skipped);
- invalidate: qc_flag 4 with a mandatory reason (aggregates drop the value; the old version is kept);
- correct: a new value with a mandatory reason; the original stays in observation_history (version + 1);
- sign: electronic sign-off of a site-month at a level by the named user: signature = SHA-256 over the digest of
  the signed values, site, month, level, signer and time; the level-2 signer must differ from the level-1 signer;
- reopen: a centre user lifts sign-offs (with a reason) so signed values can be changed again.

Values of a month with an open sign-off cannot be changed at or below the signed level: such an attempt is
refused and the refusal is recorded (review_action outcome 'refused' + audit chain). Callers commit before
turning `Refused` into an error, so the record survives.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from ecomon.web.auth import audit
from ecomon.web.auth.principal import Principal
from ecomon.web.auth.scope import site_condition

LEVELS = {1: "reviewed", 2: "audited", 3: "released"}
# Who may take a value to each level (web/auth roles: reviewer = station staff, centre = monitoring centre).
LEVEL_ROLES = {1: frozenset({"reviewer", "centre"}), 2: frozenset({"centre"}), 3: frozenset({"centre"})}
CHANGE_ROLES = frozenset({"reviewer", "centre"})          # invalidate / correct
REOPEN_ROLES = frozenset({"centre", "admin"})


class Refused(Exception):
    """A review step that is not allowed; already recorded when raised."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class NotFound(Exception):
    """The site or parameter is unknown or outside the caller's scope (same answer for both)."""


@dataclass(frozen=True)
class Scope:
    """What a step applies to: one site, a half-open time range and optionally one parameter."""

    site: str
    t_from: datetime
    t_to: datetime
    parameter: str | None = None


@dataclass(frozen=True)
class Outcome:
    action: str
    changed: int
    skipped: int = 0
    detail: dict | None = None


def month_range(month: date, tz: str) -> tuple[datetime, datetime]:
    """A calendar month in local time (Asia/Shanghai by default) as UTC-aware bounds."""
    zone = ZoneInfo(tz)
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    return start, end


async def _site(conn: AsyncConnection, p: Principal, code: str) -> int:
    cond, args = site_condition(p, "s")
    row = await (await conn.execute(f"SELECT s.id FROM site s WHERE s.code = %s AND {cond}", [code, *args])).fetchone()
    if row is None:
        raise NotFound(f"no such site, or it is outside your access scope: {code}")
    return row[0]


async def _parameter(conn: AsyncConnection, text: str | None) -> str | None:
    if text is None:
        return None
    row = await (await conn.execute(
        "SELECT code FROM parameter WHERE code = %s UNION ALL SELECT code FROM parameter_alias WHERE alias = lower(%s) "
        "LIMIT 1", (text, text))).fetchone()
    if row is None:
        raise NotFound(f"unknown parameter code or alias: {text}")
    return row[0]


async def _log(conn: AsyncConnection, p: Principal, action: str, outcome: str, site_id: int, scope: Scope,
               parameter: str | None, level: int | None, n: int, reason: str | None, detail: dict,
               ip: str | None) -> None:
    await conn.execute(
        """INSERT INTO review_action (actor, role, action, outcome, site_id, parameter_code, t_from, t_to, level,
                                      n_values, reason, detail)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (p.username, p.role, action, outcome, site_id, parameter, scope.t_from, scope.t_to, level, n, reason,
         json.dumps(detail, ensure_ascii=False, default=str)))
    await audit.record(conn, p.username, f"review.{action}" + ("" if outcome == "done" else ".refused"),
                       f"site:{scope.site}", {"parameter": parameter, "from": scope.t_from.isoformat(),
                                              "to": scope.t_to.isoformat(), "level": level, "values": n,
                                              "reason": reason, **detail}, ip)


async def _refuse(conn: AsyncConnection, p: Principal, action: str, site_id: int, scope: Scope,
                  parameter: str | None, level: int | None, reason: str | None, code: str, message: str,
                  ip: str | None, status: int = 409) -> Refused:
    await _log(conn, p, action, "refused", site_id, scope, parameter, level, 0, reason,
               {"refusal": code, "message": message}, ip)
    return Refused(code, message, status)


async def _signed_level(conn: AsyncConnection, site_id: int, scope: Scope, tz: str) -> tuple[int, list[str]]:
    """The highest open sign-off level over months touching the scope (0 if none) and those months."""
    rows = await (await conn.execute(
        """SELECT max(level), array_agg(DISTINCT to_char(month, 'YYYY-MM')) FROM signoff
           WHERE site_id = %s AND reopened_at IS NULL
             AND month::timestamp AT TIME ZONE %s < %s
             AND (month + interval '1 month')::timestamp AT TIME ZONE %s > %s""",
        (site_id, tz, scope.t_to, tz, scope.t_from))).fetchone()
    return (rows[0] or 0), (rows[1] or [])


def _where(parameter: str | None) -> str:
    return "se.site_id = %s AND o.t >= %s AND o.t < %s" + (" AND se.parameter_code = %s" if parameter else "")


def _args(site_id: int, scope: Scope, parameter: str | None) -> list:
    return [site_id, scope.t_from, scope.t_to, *([parameter] if parameter else [])]


async def _check(conn: AsyncConnection, p: Principal, action: str, scope: Scope, roles: frozenset[str],
                 level: int | None, reason: str | None, tz: str, ip: str | None,
                 frozen_at: int) -> tuple[int, str | None]:
    """Resolve site and parameter, refuse (recorded) a wrong role or a change inside a signed period."""
    if scope.t_from >= scope.t_to:
        raise ValueError("the period is empty: `from` must be before `to`")
    site_id = await _site(conn, p, scope.site)
    parameter = await _parameter(conn, scope.parameter)
    if p.role not in roles:
        raise await _refuse(conn, p, action, site_id, scope, parameter, level, reason, "forbidden_role",
                            f"role {p.role!r} may not {action}" + (f" to level {level}" if level else ""), ip, 403)
    signed, months = await _signed_level(conn, site_id, scope, tz)
    if signed and signed >= frozen_at:
        raise await _refuse(conn, p, action, site_id, scope, parameter, level, reason, "period_signed",
                            f"{', '.join(months)} signed at level {signed} ({LEVELS[signed]}); reopen it first", ip)
    return site_id, parameter


async def accept(conn: AsyncConnection, p: Principal, scope: Scope, level: int, tz: str,
                 ip: str | None = None) -> Outcome:
    """Promote values at level-1 to `level` (1 reviewed, 2 audited, 3 released)."""
    if level not in LEVELS:
        raise ValueError("level must be 1 (reviewed), 2 (audited) or 3 (released)")
    site_id, parameter = await _check(conn, p, "accept", scope, LEVEL_ROLES[level], level, None, tz, ip, level)
    await audit.attribute(conn, p.username, "review")
    cur = await conn.execute(
        f"""UPDATE observation o SET review_state = %s FROM series se
            WHERE se.id = o.series_id AND {_where(parameter)} AND o.review_state = %s""",
        [level, *_args(site_id, scope, parameter), level - 1])
    changed = cur.rowcount
    total = await (await conn.execute(
        f"SELECT count(*) FROM observation o JOIN series se ON se.id = o.series_id WHERE {_where(parameter)}",
        _args(site_id, scope, parameter))).fetchone()
    await _sync_latest(conn, site_id)
    skipped = total[0] - changed
    await _log(conn, p, "accept", "done", site_id, scope, parameter, level, changed, None, {"skipped": skipped}, ip)
    return Outcome("accept", changed, skipped)


async def invalidate(conn: AsyncConnection, p: Principal, scope: Scope, reason: str, tz: str,
                     ip: str | None = None) -> Outcome:
    """Mark values invalid (qc_flag 4) with a reason; they leave aggregates, the old version is kept."""
    if not reason.strip():
        raise ValueError("invalidation needs a reason")
    site_id, parameter = await _check(conn, p, "invalidate", scope, CHANGE_ROLES, None, reason, tz, ip, 1)
    changed = await _revise(conn, p, site_id, scope, parameter, "qc_flag = 4", [], "o.qc_flag <> 4", tz)
    await _log(conn, p, "invalidate", "done", site_id, scope, parameter, None, changed, reason, {}, ip)
    return Outcome("invalidate", changed)


async def correct(conn: AsyncConnection, p: Principal, site: str, parameter: str, t: datetime, value: float,
                  reason: str, tz: str, ip: str | None = None) -> Outcome:
    """Replace one hourly value; the original stays in observation_history."""
    if not reason.strip():
        raise ValueError("a correction needs a reason")
    scope = Scope(site, t, t + timedelta(microseconds=1), parameter)
    site_id, code = await _check(conn, p, "correct", scope, CHANGE_ROLES, None, reason, tz, ip, 1)
    changed = await _revise(conn, p, site_id, scope, code, "value = %s, qc_flag = 1", [value],
                            "o.value IS DISTINCT FROM %s", tz, [value])
    if changed == 0:
        raise ValueError(f"no stored value of {parameter} at {site} {t.isoformat()} to correct (or same value)")
    await _log(conn, p, "correct", "done", site_id, scope, code, None, changed, reason, {"value": value}, ip)
    return Outcome("correct", changed, detail={"value": value})


async def _revise(conn: AsyncConnection, p: Principal, site_id: int, scope: Scope, parameter: str | None,
                  assign: str, assign_args: list, differs: str, tz: str, differs_args: list | None = None) -> int:
    """Change values keeping the superseded version in observation_history (version + 1, reviewed at least)."""
    await audit.attribute(conn, p.username, "review")
    await conn.execute(
        f"""INSERT INTO observation_history (series_id, t, value, data_flag, qc_flag, review_state, channel,
                                             source_id, row_no, received_at, version, superseded_by)
            SELECT o.series_id, o.t, o.value, o.data_flag, o.qc_flag, o.review_state, o.channel, o.source_id,
                   o.row_no, o.received_at, o.version, %s
            FROM observation o JOIN series se ON se.id = o.series_id WHERE {_where(parameter)} AND {differs}""",
        [p.username, *_args(site_id, scope, parameter), *(differs_args or [])])
    cur = await conn.execute(
        f"""UPDATE observation o SET {assign}, review_state = greatest(o.review_state, 1), version = o.version + 1
            FROM series se WHERE se.id = o.series_id AND {_where(parameter)} AND {differs}""",
        [*assign_args, *_args(site_id, scope, parameter), *(differs_args or [])])
    changed = cur.rowcount
    await conn.execute(
        f"""INSERT INTO aggregate_dirty (series_id, day)
            SELECT DISTINCT o.series_id, (o.t AT TIME ZONE %s)::date FROM observation o
            JOIN series se ON se.id = o.series_id WHERE {_where(parameter)} ON CONFLICT DO NOTHING""",
        [tz, *_args(site_id, scope, parameter)])
    await _sync_latest(conn, site_id)
    return changed


async def _sync_latest(conn: AsyncConnection, site_id: int) -> None:
    await conn.execute(
        """UPDATE latest_value l SET value = o.value, qc_flag = o.qc_flag, review_state = o.review_state,
                  updated_at = now()
           FROM series se, observation o
           WHERE se.id = l.series_id AND se.site_id = %s AND o.series_id = l.series_id AND o.t = l.t
             AND (l.value, l.qc_flag, l.review_state) IS DISTINCT FROM (o.value, o.qc_flag, o.review_state)""",
        (site_id,))


def signature(digest: str, site: str, month: date, level: int, user: str, at: datetime) -> str:
    """SHA-256 over what was signed, by whom, when: the electronic signature stored with a sign-off."""
    text = "\n".join((digest, site, month.strftime("%Y-%m"), str(level), user, at.isoformat()))
    return hashlib.sha256(text.encode()).hexdigest()


async def month_digest(conn: AsyncConnection, site_id: int, start: datetime, end: datetime) -> tuple[int, str]:
    """(values, SHA-256) over every value of the site in the month, in key order."""
    row = await (await conn.execute(
        """SELECT count(*), encode(sha256(convert_to(coalesce(string_agg(
               concat_ws(',', se.parameter_code, se.interval_kind, to_char(o.t AT TIME ZONE 'UTC',
                         'YYYY-MM-DD"T"HH24:MI:SS'), o.value, o.qc_flag, o.review_state, o.version),
               E'\\n' ORDER BY se.parameter_code, se.interval_kind, o.t), ''), 'UTF8')), 'hex')
           FROM observation o JOIN series se ON se.id = o.series_id
           WHERE se.site_id = %s AND o.t >= %s AND o.t < %s""", (site_id, start, end))).fetchone()
    return row[0], row[1]


async def sign(conn: AsyncConnection, p: Principal, site: str, month: date, level: int, tz: str,
               ip: str | None = None) -> dict:
    """Sign a site-month at `level`: every value must already be at that review state."""
    if level not in LEVELS:
        raise ValueError("level must be 1 (reviewed), 2 (audited) or 3 (released)")
    start, end = month_range(month, tz)
    scope = Scope(site, start, end)
    site_id, _ = await _check(conn, p, "sign", scope, LEVEL_ROLES[level], level, None, tz, ip, level)
    below = await (await conn.execute(
        """SELECT count(*) FROM observation o JOIN series se ON se.id = o.series_id
           WHERE se.site_id = %s AND o.t >= %s AND o.t < %s AND o.review_state < %s""",
        (site_id, start, end, level))).fetchone()
    if below[0]:
        raise await _refuse(conn, p, "sign", site_id, scope, None, level, None, "not_reviewed",
                            f"{below[0]} value(s) of {month:%Y-%m} are below {LEVELS[level]}; review them first", ip)
    if level > 1:
        lower = await (await conn.execute(
            "SELECT signed_by FROM signoff WHERE site_id = %s AND month = %s AND level = %s AND reopened_at IS NULL",
            (site_id, month, level - 1))).fetchone()
        if lower is None or lower[0] == p.username:
            why = "the previous level is not signed" if lower is None else "the same person signed the level below"
            raise await _refuse(conn, p, "sign", site_id, scope, None, level, None, "four_eyes", why, ip)
    n, digest = await month_digest(conn, site_id, start, end)
    at = (await (await conn.execute("SELECT now()")).fetchone())[0]
    sig = signature(digest, site, month, level, p.username, at)
    row = await (await conn.execute(
        """INSERT INTO signoff (site_id, month, level, signed_by, signed_at, n_values, data_digest, signature)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id""",
        (site_id, month, level, p.username, at, n, digest, sig))).fetchone()
    if row is None:
        raise await _refuse(conn, p, "sign", site_id, scope, None, level, None, "already_signed",
                            f"{month:%Y-%m} is already signed at level {level}", ip)
    await _log(conn, p, "sign", "done", site_id, scope, None, level, n, None, {"signature": sig, "digest": digest}, ip)
    return {"id": row[0], "site": site, "month": f"{month:%Y-%m}", "level": level, "signed_by": p.username,
            "signed_at": at.isoformat(), "n_values": n, "data_digest": digest, "signature": sig}


async def reopen(conn: AsyncConnection, p: Principal, site: str, month: date, reason: str, tz: str,
                 ip: str | None = None) -> int:
    """Lift every open sign-off of the site-month (they stay on record as reopened); returns how many."""
    if not reason.strip():
        raise ValueError("reopening needs a reason")
    start, end = month_range(month, tz)
    scope = Scope(site, start, end)
    site_id, _ = await _check(conn, p, "reopen", scope, REOPEN_ROLES, None, reason, tz, ip, 99)
    cur = await conn.execute(
        """UPDATE signoff SET reopened_at = now(), reopened_by = %s, reopen_reason = %s
           WHERE site_id = %s AND month = %s AND reopened_at IS NULL""", (p.username, reason, site_id, month))
    await _log(conn, p, "reopen", "done", site_id, scope, None, None, cur.rowcount, reason, {}, ip)
    return cur.rowcount


async def verify_signoff(conn: AsyncConnection, signoff_id: int, tz: str) -> bool:
    """Whether a sign-off's signature still matches its stored fields (and, while open, the data)."""
    row = await (await conn.execute(
        """SELECT f.site_id, s.code, f.month, f.level, f.signed_by, f.signed_at, f.data_digest, f.signature,
                  f.reopened_at FROM signoff f JOIN site s ON s.id = f.site_id WHERE f.id = %s""",
        (signoff_id,))).fetchone()
    if row is None:
        return False
    site_id, code, month, level, by, at, digest, sig, reopened = row
    if signature(digest, code, month, level, by, at) != sig:
        return False
    if reopened is not None:
        return True
    start, end = month_range(month, tz)
    return (await month_digest(conn, site_id, start, end))[1] == digest


# ---------------------------------------------------------------- interference records (干预留痕)
CHANNELS = ("in_person", "phone", "message", "document", "other")


@dataclass(frozen=True)
class Interference:
    """What the asked person files: who asked (name, organisation), when, how, for what, and their answer."""

    requested_at: datetime
    requester: str
    request: str
    channel: str = "other"
    requester_org: str | None = None
    response: str | None = None
    site: str | None = None
    t_from: datetime | None = None
    t_to: datetime | None = None


async def file_interference(conn: AsyncConnection, p: Principal, rec: Interference, ip: str | None = None) -> int:
    """Store an interference record filed by the logged-in user; it can never be changed or deleted."""
    if rec.channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    site_id = await _site(conn, p, rec.site) if rec.site else None
    row = await (await conn.execute(
        """INSERT INTO interference (filed_by, requested_at, requester, requester_org, channel, request, response,
                                     site_id, t_from, t_to)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (p.username, rec.requested_at, rec.requester, rec.requester_org, rec.channel, rec.request, rec.response,
         site_id, rec.t_from, rec.t_to))).fetchone()
    await audit.record(conn, p.username, "interference.file", f"interference:{row[0]}",
                       {"requester": rec.requester, "site": rec.site}, ip)
    return row[0]
