"""`ecomon hj212 device add|list|rotate|keys|set-password`, `ecomon hj212 devices` (state) and
`ecomon hj212 command|commands`.

Every write is attributed (cli:<OS user>) and recorded in the audit trail. Passwords and SM4 keys are read from a
hidden prompt or standard input when not given, are never printed (except a generated access password, once, to
the operator who asked for it), and are stored only hashed (PW) or sealed (key, a PW on its way to the device).
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
import time
from typing import Annotated

import psycopg
import typer
from psycopg.rows import dict_row

from ecomon.ingest.hj212.codec import Version
from ecomon.ingest.hj212.gateway.devices import VERSIONS, hash_password, register_device
from ecomon.ingest.hj212.session.credentials import (
    PasswordChangeError,
    RequestedChange,
    check_password,
    end_changes,
    new_password,
    request_change,
)
from ecomon.ingest.hj212.session.keys import (
    KEY_STATUS_SQL,
    DeviceKeyError,
    installation_key,
    parse_key,
    set_active_key,
    start_rotation,
)
from ecomon.ingest.hj212.session.requests import CommandRefused, check_operator_command
from ecomon.ingest.hj212.session.store import COMMAND_COLUMNS, DETAIL_SQL, DEVICE_STATE_SQL, queue_command

device_app = typer.Typer(help="HJ 212 设备登记 / device registration (MN, PW, binding, version, SM4 key).",
                         no_args_is_help=True)
OPEN_STATES = ("queued", "sent", "accepted")
Mn = Annotated[str, typer.Option("--mn", help="MN of the device (HJ 212 Table 3).")]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _database_url() -> str:
    from ecomon.config import get_settings
    from ecomon.runtime.engines import Engines

    return Engines(get_settings()).database_url()


def _conn() -> psycopg.Connection:
    from ecomon.store.db import connect

    return connect(_database_url())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _audit(conn: psycopg.Connection, action: str, target: str, detail: dict) -> None:
    conn.execute("INSERT INTO audit_event (actor, action, target, detail) VALUES (%s, %s, %s, %s)",
                 (_actor(), action, target, json.dumps(detail, ensure_ascii=False)))


def _device(conn: psycopg.Connection, mn: str) -> tuple[int, str]:
    row = conn.execute("SELECT id, protocol_version FROM device WHERE mn = %s", (mn,)).fetchone()
    if row is None:
        raise _fail(f"no device with MN {mn!r}; register it with `ecomon hj212 device add`")
    return int(row[0]), str(row[1])


def _secret_input(value: str | None, prompt: str) -> str:
    """A secret from the option, '-' for one line of standard input, or a hidden prompt."""
    if value == "-":
        return sys.stdin.readline().strip()
    return value if value is not None else typer.prompt(prompt, hide_input=True)


def _site_id(conn: psycopg.Connection, site: str) -> int:
    row = conn.execute("SELECT id FROM site WHERE code = %s OR (%s ~ '^[0-9]{1,18}$' AND id = %s::bigint)",
                       (site, site, site if site.isdigit() and len(site) <= 18 else "0")).fetchone()
    if row is None:
        raise _fail(f"no monitoring site with code or id {site!r}")
    return int(row[0])


def _outlet_id(conn: psycopg.Connection, outlet: str) -> int:
    """An outlet by id, or as USCC/outlet-code (GB 32100 enterprise code and the outlet's code)."""
    uscc, slash, code = outlet.partition("/")
    if slash:
        row = conn.execute("SELECT o.id FROM outlet o JOIN enterprise e ON e.id = o.enterprise_id "
                           "WHERE e.uscc = %s AND o.code = %s", (uscc, code)).fetchone()
    else:
        row = conn.execute("SELECT id FROM outlet WHERE id = %s", (int(outlet) if outlet.isdigit() else 0,)
                           ).fetchone()
    if row is None:
        raise _fail(f"no outlet {outlet!r} (give its id or USCC/outlet-code)")
    return int(row[0])


@device_app.command("add")
def add(mn: Mn,
        password: Annotated[str | None, typer.Option(help="PW (6 characters); '-' reads stdin; else prompted.")] = None,
        site: Annotated[str | None, typer.Option(help="Monitoring site code or id.")] = None,
        outlet: Annotated[str | None, typer.Option(help="Enterprise outlet id or USCC/outlet-code (CEMS).")] = None,
        version: Annotated[str, typer.Option(help="auto (Flag bits), 2005, 2017 or 2025.")] = "auto",
        sm4_key: Annotated[str | None, typer.Option(
            "--sm4-key", help="HJ 212-2025 SM4 key set on the device: 16 letters/digits or 32 hex; '-' reads stdin."
        )] = None) -> None:
    """登记或更新设备 / register or update a device bound to a site or an outlet."""
    if (site is None) == (outlet is None):
        raise _fail("give exactly one of --site or --outlet")
    if version not in ("auto", *VERSIONS):
        raise _fail("--version must be auto, 2005, 2017 or 2025")
    pw = _secret_input(password, "PW")
    try:
        check_password(pw)
    except PasswordChangeError as exc:
        raise _fail(str(exc)) from exc
    key = None
    if sm4_key is not None:
        try:
            key = parse_key(_secret_input(sm4_key, "SM4 key"))
        except DeviceKeyError as exc:
            raise _fail(str(exc)) from exc
    with _conn() as conn:
        site_id = _site_id(conn, site) if site else None
        outlet_id = _outlet_id(conn, outlet) if outlet else None
        try:
            device_id = register_device(conn, mn, pw, site_id=site_id, outlet_id=outlet_id, protocol_version=version,
                                        updated_by=_actor())
        except psycopg.errors.CheckViolation as exc:
            raise _fail(f"MN {mn!r} is not 1-27 letters/digits") from exc
        if key is not None:
            from ecomon.config import get_settings

            set_active_key(conn, device_id, key, installation_key(get_settings().home_path), _actor())
        ended = end_changes(conn, device_id, _actor(), "password set by `ecomon hj212 device add`")
        _audit(conn, "hj212.device.add", mn, {"site_id": site_id, "outlet_id": outlet_id, "version": version,
                                             "sm4_key_set": key is not None, "password_changes_ended": ended})
        conn.commit()
    typer.echo(json.dumps({"mn": mn, "id": device_id, "site_id": site_id, "outlet_id": outlet_id,
                           "version": version, "sm4": key is not None}))


@device_app.command("list")
def list_devices() -> None:
    """登记的设备 / registered devices, one JSON object per line."""
    _print_state(None, 600.0, detail=False)


@device_app.command("rotate")
def rotate(mn: Mn,
           sm4_key: Annotated[str | None, typer.Option(
               "--sm4-key", help="Key already set on the device by hand (16 letters/digits or 32 hex; '-' stdin). "
                                 "Without it a new key is generated and sent with 1014.")] = None) -> None:
    """更换 SM4 密钥 / rotate a device's SM4 key (HJ 212-2025 §6.4.3, at least every 90 days)."""
    from ecomon.config import get_settings

    master = installation_key(get_settings().home_path)
    with _conn() as conn:
        device_id, _ = _device(conn, mn)
        if sm4_key is not None:
            try:
                set_active_key(conn, device_id, parse_key(_secret_input(sm4_key, "SM4 key")), master, _actor())
            except DeviceKeyError as exc:
                raise _fail(str(exc)) from exc
            _audit(conn, "hj212.device.key_set", mn, {})
            conn.commit()
            typer.echo(json.dumps({"mn": mn, "key": "active"}))
            return
    try:
        command_id = start_rotation(_database_url(), device_id, master, _actor())
    except DeviceKeyError as exc:
        raise _fail(str(exc)) from exc
    with _conn() as conn:
        _audit(conn, "hj212.device.key_rotation", mn, {"command": command_id})
        conn.commit()
    typer.echo(json.dumps({"mn": mn, "key": "pending", "command": command_id}))


@device_app.command("keys")
def keys(mn: Annotated[str | None, typer.Option("--mn", help="One device (default: every device with a key).")] = None
         ) -> None:
    """SM4 密钥 / key age, next rotation due date and the last rotation of each SM4 device (JSON per line)."""
    from ecomon.config import get_settings

    max_age_days = get_settings().hj212_key_rotation_days
    with _conn() as conn:
        where = " WHERE d.mn = %(mn)s" if mn else ""
        rows = conn.cursor(row_factory=dict_row).execute(
            KEY_STATUS_SQL + where + " ORDER BY d.mn", {"max_age_s": max_age_days * 86400, "mn": mn}).fetchall()
    if mn and not rows:
        raise _fail(f"no SM4 key for MN {mn!r} (HJ 212-2025 devices: `device add --sm4-key -`)")
    for row in rows:
        typer.echo(json.dumps({**row, "rotation_age_days": max_age_days}, ensure_ascii=False, default=str))


@device_app.command("set-password")
def set_password(mn: Mn,
                 password: Annotated[str | None, typer.Option(
                     help="'-': the new PW from one line of standard input. Omitted: a random 6-character PW is "
                          "generated and printed once.")] = None,
                 wait: Annotated[float, typer.Option(help="Seconds to wait for the device's answer (0: just "
                                                          "queue).")] = 0.0) -> None:
    """修改设备访问密码 / change a device's access password with 1072, in step with the device.

    The new PW is pending until the device answers ExeRtn=1 (or logs in with it); until then, and for
    hj212_password_grace_s after, the gateway accepts both. A refusal or failure keeps the old one."""
    from ecomon.config import get_settings

    if password not in (None, "-"):
        raise _fail("give --password - (standard input) or no --password (generated); a password on the command "
                    "line is visible to other users of this host")
    generated = password is None
    pw = new_password() if generated else _secret_input(password, "new PW")
    try:
        check_password(pw)
    except PasswordChangeError as exc:
        raise _fail(str(exc)) from exc
    settings = get_settings()
    with _conn() as conn:
        device_id, _ = _device(conn, mn)
    try:
        requested = asyncio.run(_request_change(device_id, pw, installation_key(settings.home_path),
                                                settings.hj212_password_grace_s))
    except PasswordChangeError as exc:
        raise _fail(str(exc)) from exc
    out: dict[str, object] = {"mn": mn, "change": requested.change_id, "command": requested.command_id,
                              "superseded": requested.superseded, "state": "pending"}
    if generated:
        out["password"] = pw
    if wait:
        out.update(_wait_for_change(requested.change_id, wait))
    typer.echo(json.dumps(out, ensure_ascii=False, default=str))
    if wait and out["state"] != "applied":
        raise typer.Exit(1)


async def _request_change(device_id: int, pw: str, master: bytes, grace_s: float) -> RequestedChange:
    from psycopg import AsyncConnection

    new_hash = await asyncio.to_thread(hash_password, pw)
    async with await AsyncConnection.connect(_database_url()) as conn:
        requested = await request_change(conn, device_id, new_hash, pw, master, grace_s, _actor(), _actor())
        await conn.commit()
    return requested


def _wait_for_change(change_id: int, wait: float) -> dict[str, object]:
    """The change's state once settled, or as it is when `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    with _conn() as conn:
        while True:
            row = conn.cursor(row_factory=dict_row).execute(
                "SELECT p.state, p.grace_until, p.note, c.state AS command_state, c.qn_rtn, c.exe_rtn "
                "FROM device_password_change p LEFT JOIN device_command c ON c.id = p.command_id WHERE p.id = %s",
                (change_id,)).fetchone()
            conn.commit()
            if row is None or row["state"] != "pending" or time.monotonic() >= deadline:
                return row or {}
            time.sleep(0.2)


def _print_state(mn: str | None, offline_s: float, detail: bool) -> None:
    with _conn() as conn:
        cur = conn.cursor(row_factory=dict_row)
        where = " WHERE d.mn = %(mn)s" if mn else ""
        rows = cur.execute(DEVICE_STATE_SQL + where + " ORDER BY d.mn", {"offline_s": offline_s, "mn": mn}
                           ).fetchall()
        if mn and not rows:
            raise _fail(f"no device with MN {mn!r}")
        for row in rows:
            if detail:
                row.update(device_detail(cur, row["id"]))
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))


def device_detail(cur: psycopg.Cursor, device_id: int) -> dict:
    """Reports, recent events, commands and gap requests of one device."""
    return {name: cur.execute(sql, (device_id,)).fetchall() for name, sql in DETAIL_SQL.items()}



def devices(mn: Annotated[str | None, typer.Option("--mn", help="One device, with reports, events, commands, gaps."
                                                   )] = None,
            offline_after: Annotated[float, typer.Option(help="Seconds of silence after which a device is "
                                                             "offline.")] = 600.0) -> None:
    """设备状态 / device state: online, last seen, restarts, open gaps and commands (JSON per line)."""
    _print_state(mn, offline_after, detail=mn is not None)


def command(mn: Annotated[str, typer.Argument(help="MN of the device.")],
            cn: Annotated[str, typer.Argument(help="Command code, e.g. 1011 (get time), 1062 (set RtdInterval).")],
            items: Annotated[list[str] | None, typer.Argument(help="CP items KEY=VALUE, e.g. RtdInterval=30.")] = None,
            wait: Annotated[float, typer.Option(help="Seconds to wait for the result (0: just queue).")] = 0.0,
            ) -> None:
    """远程命令 / queue a command for a device; the gateway holding its connection sends it (JSON result)."""
    cp: dict[str, str] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise _fail(f"CP item {item!r} is not KEY=VALUE")
        cp[key] = value
    with _conn() as conn:
        device_id, version = _device(conn, mn)
        try:
            check_operator_command(cn, cp, VERSIONS.get(version, Version.HJ212_2017))
        except CommandRefused as exc:
            raise _fail(str(exc)) from exc
        command_id = queue_command(conn, device_id, cn, cp, "operator", _actor())
        _audit(conn, "hj212.command", mn, {"command": command_id, "cn": cn, "cp": cp})
        conn.commit()
        deadline = time.monotonic() + wait
        while True:
            row = conn.cursor(row_factory=dict_row).execute(
                f"SELECT {COMMAND_COLUMNS} FROM device_command WHERE id = %s", (command_id,)).fetchone()
            conn.commit()
            if row is None or row["state"] not in OPEN_STATES or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
    typer.echo(json.dumps(row, ensure_ascii=False, default=str))
    if wait and row and row["state"] != "done":
        raise typer.Exit(1)


def commands(mn: Mn) -> None:
    """命令记录 / the command log of a device (newest first, JSON per line)."""
    with _conn() as conn:
        device_id, _ = _device(conn, mn)
        for row in conn.cursor(row_factory=dict_row).execute(DETAIL_SQL["commands"], (device_id,)).fetchall():
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))


def register_session_commands(app: typer.Typer) -> None:
    """Attach `device …`, `devices`, `command`, `commands` to `ecomon hj212`."""
    app.add_typer(device_app, name="device")
    app.command("devices")(devices)
    app.command("command")(command)
    app.command("commands")(commands)
