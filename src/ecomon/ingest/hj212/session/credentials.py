"""Access passwords changed in step with the device: HJ 212-2017 Table 9 CN 1072 (设置现场机访问密码, `NewPW`),
sent with the request flow of §6.5.2 (9011 QnRtn, then 9012 ExeRtn).

PW is checked on every packet (Table 3), so a password changed on one side only locks the device out. A change is
therefore a `device_password_change` row (migration 0018) and the gateway accepts, besides the device's
`password_hash`:
- the new password while the change is *pending* (1072 queued or in flight), since the device may switch before
  its reply arrives;
- after ExeRtn=1 (*applied*), the old password until the change's grace period ends (frames sent before the
  switch, a second connection);
- after no final answer (*unconfirmed*: timeout), the new password until the grace period ends, because a device
  that applied the change but whose reply was lost must not be locked out; its first login with the new password
  makes the change *applied*.
A refusal or ExeRtn≠1 (*failed*) leaves the old password only. Passwords are stored as argon2 hashes; the plain
NewPW exists only sealed under the installation key until the change is settled, and is never logged, printed
(except a generated one, once, to the operator who asked) or put in the command log.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import AsyncConnection

from ecomon.ingest.hj212.session.keys import seal, unseal

PASSWORD_CHARS = string.ascii_letters + string.digits
PASSWORD_LEN = 6  # HJ 212-2017 Table 3: PW, 6 characters
FORBIDDEN = ";,=&\r\n"  # separators of the data segment (Table 2)
SEALED_FOR = "device-password"
OPEN_COMMAND_STATES = ("queued", "sent", "accepted")
# The outcome of the 1072 command → the change's state (refused/failed: the device said no; timeout/cancelled: no
# final answer, so the device may or may not have switched).
SETTLED = {"done": "applied", "refused": "failed", "failed": "failed", "timeout": "unconfirmed",
           "cancelled": "unconfirmed"}


class PasswordChangeError(ValueError):
    """A password or a change the platform will not accept, with the reason (never the password)."""


class PasswordChangeBusy(PasswordChangeError):
    """A change already sent to the device is not settled yet."""


def new_password() -> str:
    """A random PW of 6 letters/digits (the width HJ 212-2017 Table 3 gives, which devices are built for)."""
    return "".join(secrets.choice(PASSWORD_CHARS) for _ in range(PASSWORD_LEN))


def check_password(password: str) -> None:
    if not password or len(password) > 9 or any(c in password for c in FORBIDDEN) or not password.isprintable():
        raise PasswordChangeError("PW must be 1-9 printable characters without ; , = & (HJ 212-2017 Table 3: 6 "
                                  "characters)")


@dataclass(frozen=True, slots=True)
class AcceptedHash:
    """A password hash accepted besides the device's own: `pending` (a login with it confirms the change) or
    `previous` (the replaced password, during the grace period)."""

    hash: str
    role: str
    change_id: int
    until: datetime | None  # None: while the 1072 is open

    def valid(self, now: datetime) -> bool:
        return self.until is None or now < self.until

    def __repr__(self) -> str:  # hashes stay out of logs and tracebacks
        return f"AcceptedHash({self.role}, change {self.change_id}, until {self.until})"


_ACCEPTED_SQL = """
SELECT id, device_id, state, new_hash, old_hash, grace_until FROM device_password_change
WHERE (state = 'pending' OR (state IN ('applied', 'unconfirmed') AND grace_until > now()))"""


def load_accepted(conn: psycopg.Connection, device_id: int | None = None) -> dict[int, tuple[AcceptedHash, ...]]:
    """The extra accepted hashes per device (all devices, or one)."""
    rows = conn.execute(_ACCEPTED_SQL + (" AND device_id = %s" if device_id is not None else "") + " ORDER BY id",
                        (device_id,) if device_id is not None else ()).fetchall()
    found: dict[int, list[AcceptedHash]] = {}
    for change_id, dev, state, new_hash, old_hash, until in rows:
        entry = (AcceptedHash(old_hash, "previous", change_id, until) if state == "applied"
                 else AcceptedHash(new_hash, "pending", change_id, until))
        found.setdefault(dev, []).append(entry)
    return {dev: tuple(entries) for dev, entries in found.items()}


@dataclass(frozen=True, slots=True)
class RequestedChange:
    change_id: int
    command_id: int
    superseded: int | None  # an earlier change, still queued, that this one replaces


async def request_change(conn: AsyncConnection, device_id: int, new_hash: str, password: str, master: bytes,
                         grace_s: float, by: str, actor: str) -> RequestedChange:
    """Queue 1072 with the new password pending (caller commits). `new_hash` is the argon2 hash of `password`.
    Refused while an earlier change was already sent and not settled, or is unconfirmed within its grace period
    (the device may hold either password); one still queued (never sent) is superseded."""
    check_password(password)
    await conn.execute("SELECT 1 FROM device WHERE id = %s FOR UPDATE", (device_id,))
    row = await (await conn.execute(
        """SELECT c.id, c.state, c.command_id, dc.state FROM device_password_change c
           LEFT JOIN device_command dc ON dc.id = c.command_id
           WHERE c.device_id = %s AND (c.state = 'pending' OR (c.state = 'unconfirmed' AND c.grace_until > now()))
           ORDER BY c.id DESC LIMIT 1""", (device_id,))).fetchone()
    superseded = None
    if row is not None:
        change_id, state, command_id, command_state = row
        if state != "pending" or command_state != "queued":
            raise PasswordChangeBusy(
                f"password change {change_id} (command {command_id}) is {state}, command {command_state}: wait for "
                "its result" + (" or the end of its grace period" if state == "unconfirmed" else ""))
        await conn.execute("UPDATE device_command SET state = 'cancelled', finished_at = now(), note = 'superseded' "
                           "WHERE id = %s AND state = 'queued'", (command_id,))
        await conn.execute("UPDATE device_password_change SET state = 'superseded', sealed_password = NULL, "
                           "settled_at = now(), settled_by = %s, note = 'superseded before it was sent' "
                           "WHERE id = %s", (by, change_id))
        superseded = int(change_id)
    command = await (await conn.execute(
        "INSERT INTO device_command (device_id, cn, cp, origin, requested_by) "
        "VALUES (%s, '1072', '{}', 'password_change', %s) RETURNING id", (device_id, by))).fetchone()
    assert command is not None
    change = await (await conn.execute(
        """INSERT INTO device_password_change (device_id, command_id, new_hash, old_hash, sealed_password, grace,
               requested_by)
           SELECT id, %s, %s, password_hash, %s, make_interval(secs => %s), %s FROM device WHERE id = %s
           RETURNING id""",
        (command[0], new_hash, seal(password.encode(), master, device_id, SEALED_FOR), grace_s, by, device_id)
    )).fetchone()
    assert change is not None
    detail = {"step": "requested", "change": change[0], "command": command[0], "superseded": superseded}
    await conn.execute("INSERT INTO device_event (device_id, kind, detail) VALUES (%s, 'password_change', %s)",
                       (device_id, json.dumps({**detail, "by": by})))
    await conn.execute("INSERT INTO audit_event (actor, action, target, detail) "
                       "SELECT %s, 'hj212.device.password.requested', mn, %s FROM device WHERE id = %s",
                       (actor, json.dumps({**detail, "grace_s": grace_s}), device_id))
    return RequestedChange(int(change[0]), int(command[0]), superseded)


def password_to_send(conn: psycopg.Connection, command_id: int, master: bytes) -> str | None:
    """The NewPW of the pending change that `command_id` carries; None once the change is settled."""
    row = conn.execute("SELECT device_id, sealed_password FROM device_password_change "
                       "WHERE command_id = %s AND state = 'pending'", (command_id,)).fetchone()
    return None if row is None else unseal(bytes(row[1]), master, row[0], SEALED_FOR).decode()


def record_sent(conn: psycopg.Connection, command_id: int, connection_id: str, by: str) -> None:
    """The 1072 went out to the device for the first time (re-sends with the same QN are counted on the command)."""
    row = conn.execute("SELECT id, device_id FROM device_password_change WHERE command_id = %s AND state = 'pending'",
                       (command_id,)).fetchone()
    if row is not None:
        _step(conn, row[1], {"step": "sent", "change": row[0], "command": command_id, "connection": connection_id}, by)


def settle(conn: psycopg.Connection, command_id: int, outcome: str, by: str) -> str | None:
    """Apply the final outcome of the 1072 command (`SETTLED`); returns the change's new state, None if the
    change was settled already (e.g. by the device's login with the new password)."""
    state = SETTLED[outcome]
    with conn.transaction():
        row = conn.execute("SELECT id, device_id FROM device_password_change WHERE command_id = %s "
                           "AND state = 'pending' FOR UPDATE", (command_id,)).fetchone()
        if row is None:
            return None
        _settle(conn, row[0], row[1], state, f"1072 {outcome}", by)
    return state


def confirm_by_login(conn: psycopg.Connection, change_id: int, by: str) -> bool:
    """The device authenticated with the new password of a pending or unconfirmed change: it has switched, so the
    change is applied. False if the change was settled otherwise meanwhile."""
    with conn.transaction():
        row = conn.execute("SELECT id, device_id FROM device_password_change WHERE id = %s AND (state = 'pending' "
                           "OR (state = 'unconfirmed' AND grace_until > now())) FOR UPDATE", (change_id,)).fetchone()
        if row is None:
            return False
        _settle(conn, row[0], row[1], "applied", "the device logged in with the new password", by)
    return True


def _settle(conn: psycopg.Connection, change_id: int, device_id: int, state: str, note: str, by: str) -> None:
    if state == "applied":  # the registry's device row: its update is chained into the audit trail (minus the hash)
        conn.execute("UPDATE device d SET password_hash = c.new_hash, updated_by = %s, updated_at = now() "
                     "FROM device_password_change c WHERE c.id = %s AND d.id = c.device_id", (by, change_id))
    command_id = conn.execute(
        """UPDATE device_password_change SET state = %s, sealed_password = NULL, settled_at = now(), settled_by = %s,
               note = %s, grace_until = CASE WHEN %s IN ('applied', 'unconfirmed') THEN now() + grace END
           WHERE id = %s RETURNING command_id""", (state, by, note, state, change_id)).fetchone()
    _step(conn, device_id, {"step": state, "change": change_id, "command": command_id[0] if command_id else None,
                            "note": note}, by)


def _step(conn: psycopg.Connection, device_id: int, detail: dict[str, object], by: str) -> None:
    """One step of a change: a device event (device detail) and an audit event (the chained trail)."""
    conn.execute("INSERT INTO device_event (device_id, kind, detail) VALUES (%s, 'password_change', %s)",
                 (device_id, json.dumps(detail)))
    conn.execute("INSERT INTO audit_event (actor, action, target, detail) SELECT %s, %s, mn, %s FROM device "
                 "WHERE id = %s", (by, f"hj212.device.password.{detail['step']}", json.dumps(detail), device_id))


def end_changes(conn: psycopg.Connection, device_id: int, by: str, note: str) -> int:
    """The password was set by hand (`device add`): open changes are superseded, their queued or in-flight 1072
    cancelled, and no other hash stays accepted. Returns how many changes were ended (caller commits)."""
    conn.execute("UPDATE device_command c SET state = 'cancelled', finished_at = now(), note = %s "
                 "FROM device_password_change p WHERE p.command_id = c.id AND p.device_id = %s "
                 "AND p.state = 'pending' AND c.state IN ('queued', 'sent', 'accepted')", (note, device_id))
    pending = conn.execute("UPDATE device_password_change SET state = 'superseded', sealed_password = NULL, "
                           "settled_at = now(), settled_by = %s, note = %s WHERE device_id = %s AND state = 'pending'",
                           (by, note, device_id)).rowcount
    in_grace = conn.execute("UPDATE device_password_change SET grace_until = now() WHERE device_id = %s "
                            "AND state IN ('applied', 'unconfirmed') AND grace_until > now()", (device_id,)).rowcount
    return pending + in_grace

