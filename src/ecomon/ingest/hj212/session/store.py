"""Session-layer records in PostgreSQL: connections, events, reports, commands and gap requests.

Shared by the gateway (which sends and resolves commands) and by the CLI/API (which queue them and read state);
the queue is the `device_command` table, so any gateway process holding the device's connection can serve it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import psycopg

# Online: an open connection that sent something within the offline timeout (a gateway killed with SIGKILL leaves
# its sessions open; the timeout then decides). `%(offline_s)s` is the timeout in seconds.
DEVICE_STATE_SQL = """
SELECT d.id, d.mn, d.protocol_version, d.site_id, st.code AS site_code, d.outlet_id, o.code AS outlet_code,
       d.state, (SELECT count(*) FROM device_key k WHERE k.device_id = d.id AND k.state = 'active') > 0 AS sm4,
       ls.last_seen, ls.peer, coalesce(ls.disconnected_at IS NULL
           AND ls.last_seen > now() - make_interval(secs => %(offline_s)s), false) AS online,
       (SELECT count(*) FROM device_event e WHERE e.device_id = d.id AND e.kind = 'restart') AS restarts,
       (SELECT max(e.at) FROM device_event e WHERE e.device_id = d.id AND e.kind = 'restart') AS last_restart,
       (SELECT count(*) FROM gap_request g WHERE g.device_id = d.id AND g.state = 'requested') AS open_gaps,
       (SELECT count(*) FROM device_command c WHERE c.device_id = d.id
            AND c.state IN ('queued', 'sent', 'accepted')) AS open_commands
FROM device d
LEFT JOIN site st ON st.id = d.site_id
LEFT JOIN outlet o ON o.id = d.outlet_id
LEFT JOIN LATERAL (SELECT s.last_seen, s.peer, s.disconnected_at FROM device_session s
                   WHERE s.device_id = d.id ORDER BY s.connected_at DESC LIMIT 1) ls ON true
"""

COMMAND_COLUMNS = ("id, cn, cp, origin, state, qn, attempts, qn_rtn, exe_rtn, response, note, requested_by, "
                   "requested_at, sent_at, finished_at")
T = TypeVar("T")
QUEUE_SQL = ("INSERT INTO device_command (device_id, cn, cp, origin, requested_by) VALUES (%s, %s, %s, %s, %s) "
             "RETURNING id")
DETAIL_SQL = {
    "reports": "SELECT cn, pol_id, data_time, cp, received_at FROM device_report WHERE device_id = %s ORDER BY cn",
    "events": "SELECT at, kind, detail FROM device_event WHERE device_id = %s ORDER BY at DESC LIMIT 50",
    "commands": f"SELECT {COMMAND_COLUMNS} FROM device_command WHERE device_id = %s ORDER BY id DESC LIMIT 50",
    "gaps": "SELECT interval_kind, begin_time, end_time, missing, state, attempts, command_id, detected_at, closed_at"
            " FROM gap_request WHERE device_id = %s ORDER BY begin_time DESC LIMIT 50",
    # SM4 keys and access-password changes without key material, hashes or sealed values; an unconfirmed password
    # change whose grace period is over shows as expired (session.credentials).
    "keys": "SELECT id, state, sk_create_time, created_by, created_at, activated_at, retired_at FROM device_key "
            "WHERE device_id = %s ORDER BY id DESC LIMIT 10",
    "password_changes": "SELECT id, command_id, CASE WHEN state = 'unconfirmed' AND grace_until <= now() THEN "
                        "'expired' ELSE state END AS state, grace_until, note, requested_by, requested_at, "
                        "settled_by, settled_at FROM device_password_change WHERE device_id = %s "
                        "ORDER BY id DESC LIMIT 20",
}
GATEWAY_BY = "hj212-gateway"  # who the gateway's own writes are attributed to
# CP items that carry a secret to the device: sent, never written to the command log.
SECRET_CP = frozenset({"NewSK", "NewPW"})


@dataclass(frozen=True, slots=True)
class OpenCommand:
    id: int
    device_id: int
    cn: str
    cp: Mapping[str, str]
    origin: str
    state: str
    qn: str | None
    attempts: int


def queue_command(conn: psycopg.Connection, device_id: int, cn: str, cp: Mapping[str, str], origin: str,
                  by: str) -> int:
    row = conn.execute(QUEUE_SQL, (device_id, cn, json.dumps(dict(cp), ensure_ascii=False), origin, by)).fetchone()
    assert row is not None
    return int(row[0])


class SessionStore:
    """The gateway's writes, on one autocommit connection (called from a worker thread, one call at a time)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def open_session(self, device_id: int, connection_id: str, peer: str) -> None:
        self.conn.execute("INSERT INTO device_session (device_id, connection_id, peer) VALUES (%s, %s, %s) "
                          "ON CONFLICT (connection_id) DO NOTHING", (device_id, connection_id, peer))

    def touch(self, seen: Mapping[str, tuple[datetime, int]]) -> None:
        """connection id → (last frame time, frames since the last touch)."""
        with self.conn.cursor() as cur:
            cur.executemany("UPDATE device_session SET last_seen = greatest(last_seen, %s), frames = frames + %s "
                            "WHERE connection_id = %s", [(t, n, c) for c, (t, n) in seen.items()])

    def close_session(self, connection_id: str, reason: str) -> None:
        self.conn.execute("UPDATE device_session SET disconnected_at = now(), close_reason = %s "
                          "WHERE connection_id = %s AND disconnected_at IS NULL", (reason, connection_id))

    def event(self, device_id: int, kind: str, detail: Mapping[str, object]) -> None:
        self.conn.execute("INSERT INTO device_event (device_id, kind, detail) VALUES (%s, %s, %s)",
                          (device_id, kind, json.dumps(detail, ensure_ascii=False, default=str)))

    def report(self, device_id: int, cn: str, cp: Mapping[str, str]) -> None:
        self.conn.execute(
            """INSERT INTO device_report (device_id, cn, pol_id, data_time, cp) VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (device_id, cn, pol_id) DO UPDATE SET data_time = excluded.data_time, cp = excluded.cp,
                   received_at = now()""",
            (device_id, cn, cp.get("PolId", ""), cp.get("DataTime"), json.dumps(dict(cp), ensure_ascii=False)))

    # --- commands ---------------------------------------------------------------------------------------------

    def queue(self, device_id: int, cn: str, cp: Mapping[str, str], origin: str, by: str) -> int:
        return queue_command(self.conn, device_id, cn, cp, origin, by)

    def open_commands(self, device_ids: Sequence[int]) -> list[OpenCommand]:
        """Queued and in-flight commands of the given devices, oldest first."""
        rows = self.conn.execute(
            "SELECT id, device_id, cn, cp, origin, state, qn, attempts FROM device_command "
            "WHERE device_id = ANY(%s) AND state IN ('queued', 'sent', 'accepted') ORDER BY id",
            (list(device_ids),)).fetchall()
        return [OpenCommand(*r) for r in rows]

    def claim_send(self, command_id: int, attempts: int, qn: str, connection_id: str, cp: Mapping[str, str]
                   ) -> bool:
        """Record a send if nobody else sent the command since it was read (`attempts` unchanged): two gateways
        briefly holding the same device never both send it. `cp` as sent, except a key (NewSK) or password
        (NewPW), which never leave their sealed tables."""
        shown = {k: v for k, v in cp.items() if k not in SECRET_CP}
        cur = self.conn.execute(
            "UPDATE device_command SET state = 'sent', qn = %s, attempts = attempts + 1, sent_at = now(), "
            "connection_id = %s, cp = %s WHERE id = %s AND attempts = %s AND state IN ('queued', 'sent', 'accepted')",
            (qn, connection_id, json.dumps(shown, ensure_ascii=False), command_id, attempts))
        return cur.rowcount == 1

    def finish(self, command_id: int, state: str, note: str) -> None:
        self.conn.execute("UPDATE device_command SET state = %s, note = %s, finished_at = now() WHERE id = %s",
                          (state, note, command_id))

    def resolve(self, command_id: int, state: str, qn_rtn: str | None, exe_rtn: str | None, finished: bool
                ) -> None:
        self.conn.execute(
            """UPDATE device_command SET state = %s, qn_rtn = coalesce(%s, qn_rtn), exe_rtn = coalesce(%s, exe_rtn),
                   finished_at = CASE WHEN %s THEN now() ELSE finished_at END WHERE id = %s""",
            (state, qn_rtn, exe_rtn, finished, command_id))

    def add_response(self, command_id: int, cp: Mapping[str, str]) -> None:
        """An upload answering the command (its CN, e.g. 1011 SystemTime); history records are counted."""
        self.conn.execute("UPDATE device_command SET response = response || %s WHERE id = %s",
                          (json.dumps(dict(cp), ensure_ascii=False), command_id))

    def count_record(self, command_id: int) -> None:
        self.conn.execute("UPDATE device_command SET response = jsonb_set(response, '{records}', "
                          "to_jsonb(coalesce((response->>'records')::int, 0) + 1)) WHERE id = %s", (command_id,))

    # --- gaps -------------------------------------------------------------------------------------------------

    def delivered_times(self, place: tuple[str, int], interval: str, since_utc: datetime, local_tz: str
                        ) -> list[datetime]:
        """Distinct interval starts stored for the device's place (("site_id" | "outlet_id", id)) since
        `since_utc`, as naive local times."""
        rows = self.conn.execute(
            f"""SELECT DISTINCT (o.t AT TIME ZONE %s) AS t FROM observation o JOIN series s ON s.id = o.series_id
               WHERE s.{_column(place)} = %s AND s.interval_kind = %s AND o.t >= %s ORDER BY 1""",
            (local_tz, place[1], interval, since_utc)).fetchall()
        return [r[0] for r in rows]

    def latest_time(self, place: tuple[str, int], interval: str) -> datetime | None:
        row = self.conn.execute(
            f"""SELECT max(o.t) FROM observation o JOIN series s ON s.id = o.series_id
               WHERE s.{_column(place)} = %s AND s.interval_kind = %s""", (place[1], interval)).fetchone()
        return row[0] if row else None

    def known_gaps(self, device_id: int, interval: str) -> dict[tuple[datetime, datetime], tuple[int, str, int]]:
        rows = self.conn.execute("SELECT begin_time, end_time, id, state, attempts FROM gap_request "
                                 "WHERE device_id = %s AND interval_kind = %s", (device_id, interval)).fetchall()
        return {(b, e): (i, s, a) for b, e, i, s, a in rows}

    def request_gap(self, device_id: int, interval: str, begin: datetime, end: datetime, missing: int,
                    command_id: int) -> None:
        self.conn.execute(
            """INSERT INTO gap_request (device_id, interval_kind, begin_time, end_time, missing, command_id)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (device_id, interval_kind, begin_time, end_time) DO UPDATE
               SET attempts = gap_request.attempts + 1, command_id = excluded.command_id, requested_at = now(),
                   state = 'requested', missing = excluded.missing""",
            (device_id, interval, begin, end, missing, command_id))

    def close_gap(self, gap_id: int, state: str) -> None:
        self.conn.execute("UPDATE gap_request SET state = %s, closed_at = now() WHERE id = %s", (state, gap_id))

    def gap_command_state(self, gap_id: int) -> tuple[str, datetime | None] | None:
        row = self.conn.execute("SELECT c.state, c.finished_at FROM gap_request g JOIN device_command c "
                                "ON c.id = g.command_id WHERE g.id = %s", (gap_id,)).fetchone()
        return (row[0], row[1]) if row else None


def _column(place: tuple[str, int]) -> str:
    if place[0] not in ("site_id", "outlet_id"):
        raise ValueError(f"not a series place column: {place[0]!r}")
    return place[0]


class SessionDb:
    """Runs `fn(store, *args)` on a worker thread, one call at a time, reconnecting after a lost connection;
    so the event loop never waits on PostgreSQL."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._store: SessionStore | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, fn: Callable[..., T], *args: object) -> T:
        async with self._lock:
            return await asyncio.to_thread(self._run, fn, args)

    def _run(self, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        from ecomon.store.db import connect

        if self._store is None or self._store.conn.closed:
            self._store = SessionStore(connect(self._url, autocommit=True))
        try:
            return fn(self._store, *args)
        except psycopg.OperationalError:
            self._store.conn.close()
            self._store = None
            raise

    def close(self) -> None:
        if self._store is not None:
            self._store.conn.close()
