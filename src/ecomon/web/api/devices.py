"""HJ 212 devices: registration and live state (online, last seen, restarts, reports), command log, gap requests,
and remote commands (HJ 212-2017 §6.5.2) queued for the gateway holding the device's connection.

Scoped like series: a device is visible if its site, or its outlet's enterprise, is visible to the caller; the
public sees none. Queuing a command is an operator's write (admin, centre), attributed and audited; so is an access
password change (1072, session.credentials), whose new password is kept pending until the device confirms it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from ecomon.ingest.hj212.codec import Version
from ecomon.ingest.hj212.gateway.devices import VERSIONS, hash_password
from ecomon.ingest.hj212.session.credentials import (
    PasswordChangeBusy,
    PasswordChangeError,
    check_password,
    new_password,
    request_change,
)
from ecomon.ingest.hj212.session.keys import installation_key
from ecomon.ingest.hj212.session.requests import CommandRefused, check_operator_command
from ecomon.ingest.hj212.session.store import COMMAND_COLUMNS, DETAIL_SQL, DEVICE_STATE_SQL, QUEUE_SQL
from ecomon.web.api.common import fetch_all, fetch_page
from ecomon.web.api.filters import Paging
from ecomon.web.auth import Conn, Principal, require_roles
from ecomon.web.auth.audit import record
from ecomon.web.auth.principal import STAFF_ROLES
from ecomon.web.auth.scope import series_condition
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/devices", tags=["devices"])
Viewer = require_roles(*STAFF_ROLES, "enterprise")
Operator = require_roles("admin", "centre")
Mn = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,27}$", description="MN of the device")]


class DeviceQuery(Paging):
    online: bool | None = None
    offline_after: float = Field(600.0, ge=10, le=86_400, description="seconds of silence → offline")


class CommandRequest(BaseModel):
    cn: str = Field(pattern=r"^[0-9]{4}$", description="HJ 212 command code, e.g. 1011, 1062, 3012")
    cp: dict[str, Annotated[str, Field(max_length=200)]] = Field(default_factory=dict, max_length=40)


class PasswordRequest(BaseModel):
    password: str | None = Field(None, min_length=1, max_length=9,
                                 description="new PW (HJ 212-2017 Table 3: 6 characters); omitted: a random one is "
                                             "generated and returned once")


def _state_sql(principal: Principal) -> tuple[str, list[object]]:
    scope, args = series_condition(principal, "d")
    return f"SELECT * FROM ({DEVICE_STATE_SQL} WHERE {scope}) q", args


async def _device(conn: Conn, principal: Principal, mn: str, offline_after: float = 600.0) -> dict:
    sql, args = _state_sql(principal)
    rows = await fetch_all(conn, sql.replace("%(offline_s)s", "%s") + " WHERE q.mn = %s",
                           [offline_after, *args, mn])
    if not rows:
        raise ApiError(404, "unknown_device", "no such device, or it is outside your access scope", {"mn": mn})
    return rows[0]


@router.get("", summary="设备状态列表 / devices with their link state")
async def list_devices(q: Annotated[DeviceQuery, Query()], principal: Viewer, conn: Conn) -> dict:
    sql, args = _state_sql(principal)
    online = "q.online = %s" if q.online is not None else "true"
    return await fetch_page(conn, sql.replace("%(offline_s)s", "%s") + f" WHERE {online} ORDER BY q.mn",
                            [q.offline_after, *args, *([q.online] if q.online is not None else [])], q)


@router.get("/{mn}", summary="设备详情 / one device: state, reports, events, commands, gap requests")
async def get_device(mn: Mn, principal: Viewer, conn: Conn) -> dict:
    device = await _device(conn, principal, mn)
    for name, sql in DETAIL_SQL.items():
        device[name] = await fetch_all(conn, sql, [device["id"]])
    return device


@router.post("/{mn}/commands", status_code=202, summary="下发命令 / queue a command for the device")
async def queue(mn: Mn, body: CommandRequest, principal: Operator,
                conn: Conn) -> dict:
    device = await _device(conn, principal, mn)
    try:
        check_operator_command(body.cn, body.cp, VERSIONS.get(device["protocol_version"], Version.HJ212_2017))
    except CommandRefused as exc:
        raise ApiError(422, "command_refused", str(exc), {"cn": body.cn}) from exc
    for key, value in body.cp.items():
        if any(c in key + value for c in ";,=&\r\n"):
            raise ApiError(422, "bad_cp", "CP keys and values may not contain ; , = & or line breaks", {"key": key})
    by = f"user:{principal.username}"
    row = await (await conn.execute(QUEUE_SQL, (device["id"], body.cn, json.dumps(body.cp, ensure_ascii=False),
                                                "operator", by))).fetchone()
    assert row is not None
    await record(conn, principal.username, "hj212.command", mn, {"command": row[0], "cn": body.cn, "cp": body.cp})
    await conn.commit()
    return {"id": row[0], "state": "queued"}


@router.get("/{mn}/commands/{command_id}", summary="命令结果 / one command and its result")
async def get_command(mn: Mn, command_id: int, principal: Viewer,
                      conn: Conn) -> dict:
    device = await _device(conn, principal, mn)
    rows = await fetch_all(conn, f"SELECT {COMMAND_COLUMNS} FROM device_command WHERE id = %s AND device_id = %s",
                           [command_id, device["id"]])
    if not rows:
        raise ApiError(404, "unknown_command", "no such command for this device", {"id": command_id})
    return rows[0]


@router.post("/{mn}/password", status_code=202,
             summary="修改设备访问密码 / change the device's access password (1072, in step with the device)")
async def change_password(mn: Mn, body: PasswordRequest, principal: Operator, conn: Conn) -> dict:
    from ecomon.config import get_settings

    device = await _device(conn, principal, mn)
    password = body.password if body.password is not None else new_password()
    try:
        check_password(password)
    except PasswordChangeError as exc:
        raise ApiError(422, "bad_password", str(exc), {}) from exc
    settings = get_settings()
    new_hash = await asyncio.to_thread(hash_password, password)
    try:
        requested = await request_change(conn, device["id"], new_hash, password, installation_key(settings.home_path),
                                         settings.hj212_password_grace_s, f"user:{principal.username}",
                                         principal.username)
    except PasswordChangeBusy as exc:
        raise ApiError(409, "password_change_open", str(exc), {"mn": mn}) from exc
    await conn.commit()
    out = {"change": requested.change_id, "command": requested.command_id, "superseded": requested.superseded,
           "state": "pending"}
    return {**out, "password": password} if body.password is None else out
