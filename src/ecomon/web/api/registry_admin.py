"""Registry writes of the staff console: add, edit and change the lifecycle of sites, enterprises, outlets, devices.

Rows are never deleted: retiring is a lifecycle change with the date it takes effect, kept as dated history
(site_state_history for sites, registry_state_history for the rest) and checked against the lifecycle
transitions of the bundled vocabulary. Only administrators and monitoring-centre staff write; a regional user
writes only rows inside their region (outlets through their enterprise, devices through their site or outlet),
enforced by the SQL that reads the row before changing it. Every write names its actor for the registry audit
triggers (migration 0005) and is recorded as an audit event of its own with the reason given.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Body, Path, Request
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ecomon.ingest.hj212.gateway.devices import hash_password as hash_device_password
from ecomon.registry.vocabulary import TransitionError, vocabulary
from ecomon.web.auth import Conn, Principal, audit, require_roles
from ecomon.web.auth.hardening import CleanStr
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/registry", tags=["registry admin"])
EDITOR_ROLES = ("admin", "centre")
Editor = require_roles(*EDITOR_ROLES)

Kind = Literal["site", "enterprise", "outlet", "device"]
State = Literal["planned", "building", "active", "suspended", "retired"]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}([0-9]{3})?$")]
Text = Annotated[CleanStr, Field(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteEdit(_Body):
    name_zh: Text | None = None
    name_en: Text | None = None
    site_type: Annotated[str, Field(max_length=32)] | None = None
    control_level: Literal["national", "provincial", "city", "county"] | None = None
    region_code: RegionCode | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    operator: Text | None = None
    target_class: Literal["I", "II", "III", "IV", "V"] | None = None


class SiteNew(SiteEdit):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    name_zh: Text
    element: Annotated[str, Field(max_length=32)]
    site_type: Annotated[str, Field(max_length=32)]
    control_level: Literal["national", "provincial", "city", "county"]
    region_code: RegionCode
    state: State = "active"


class EnterpriseEdit(_Body):
    name_zh: Text | None = None
    region_code: RegionCode | None = None
    industry: Text | None = None
    address: Text | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    key_unit_level: Literal["national", "provincial", "city", "county", "none"] | None = None
    key_unit_year: Annotated[int, Field(ge=1990, le=2100)] | None = None


class EnterpriseNew(EnterpriseEdit):
    uscc: Annotated[str, Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="GB 32100-2015 credit code")]
    name_zh: Text
    region_code: RegionCode
    state: State = "active"


class OutletEdit(_Body):
    name_zh: Text | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    emission_standard: Annotated[CleanStr, Field(max_length=64)] | None = None


class OutletNew(OutletEdit):
    enterprise_id: int
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    name_zh: Text
    kind: Literal["gas", "water"]
    state: State = "active"


class DeviceEdit(_Body):
    vendor: Text | None = None
    model: Text | None = None
    protocol_version: Literal["2005", "2017", "2025"] | None = None
    site_id: int | None = None
    outlet_id: int | None = None


class DeviceNew(DeviceEdit):
    mn: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,27}$", description="HJ 212-2017 §6.3.2 MN code")]
    password: Annotated[CleanStr, Field(min_length=6, max_length=64, description="HJ 212 access password (PW)")]
    state: State = "active"


class StateChange(_Body):
    state: State
    valid_from: dt.date = Field(description="the day the state takes effect in the field")
    reason: Annotated[CleanStr, Field(min_length=2, max_length=500)]


# The body schema of each kind, for the OpenAPI document; the path's kind picks the model that is enforced.
AnyNew = Annotated[SiteNew | EnterpriseNew | OutletNew | DeviceNew, Body()]
AnyEdit = Annotated[SiteEdit | EnterpriseEdit | OutletEdit | DeviceEdit, Body()]
NEW: dict[str, type[_Body]] = {"site": SiteNew, "enterprise": EnterpriseNew, "outlet": OutletNew,
                               "device": DeviceNew}
EDIT: dict[str, type[_Body]] = {"site": SiteEdit, "enterprise": EnterpriseEdit, "outlet": OutletEdit,
                                "device": DeviceEdit}

# The region a row belongs to, for scope checks: outlets through their enterprise, devices through site or outlet.
REGION_OF: dict[str, str] = {
    "site": "SELECT region_code FROM site WHERE id = %s",
    "enterprise": "SELECT region_code FROM enterprise WHERE id = %s",
    "outlet": "SELECT e.region_code FROM outlet o JOIN enterprise e ON e.id = o.enterprise_id WHERE o.id = %s",
    "device": """SELECT coalesce(s.region_code, e.region_code) FROM device d
                 LEFT JOIN site s ON s.id = d.site_id LEFT JOIN outlet o ON o.id = d.outlet_id
                 LEFT JOIN enterprise e ON e.id = o.enterprise_id WHERE d.id = %s""",
}
_NOT_FOUND = "no such {kind}, or it is outside your region"


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _in_scope(conn: AsyncConnection, principal: Principal, region: str | None) -> bool:
    """National users reach every row; a regional user only rows in their region or below it."""
    if principal.region_code is None:
        return True
    if region is None:
        return False
    row = await (await conn.execute("SELECT %s IN (SELECT region_descendants(%s))",
                                    (region, principal.region_code))).fetchone()
    return bool(row and row[0])


async def _owned(conn: AsyncConnection, principal: Principal, kind: str, entity_id: int) -> None:
    """Refuse (404, so existence outside the region is not revealed) unless the row exists within scope."""
    row = await (await conn.execute(REGION_OF[kind], (entity_id,))).fetchone()
    if row is None or not await _in_scope(conn, principal, row[0]):
        raise ApiError(404, f"unknown_{kind}", _NOT_FOUND.format(kind=kind), {"id": entity_id})


async def _check_target_region(conn: AsyncConnection, principal: Principal, kind: str, fields: dict) -> None:
    """A new or moved row must land inside the writer's region (and reference rows they can reach)."""
    if "region_code" in fields and not await _in_scope(conn, principal, fields["region_code"]):
        raise ApiError(403, "region_out_of_scope", "you can only register within your region",
                       {"region_code": fields["region_code"]})
    for ref, ref_kind in (("enterprise_id", "enterprise"), ("site_id", "site"), ("outlet_id", "outlet")):
        if fields.get(ref) is not None:
            await _owned(conn, principal, ref_kind, fields[ref])


def _validate_site_type(fields: dict, element: str | None) -> None:
    if "site_type" in fields and element is not None and fields["site_type"] not in vocabulary().site_type_codes(
            element):
        raise ApiError(422, "unknown_site_type", f"{fields['site_type']!r} is not a site type of {element}",
                       {"allowed": sorted(vocabulary().site_type_codes(element))})


async def _write(conn: AsyncConnection, sql: str, args: list[Any]) -> int:
    """Run an INSERT/UPDATE … RETURNING id, turning constraint violations into specific client errors."""
    try:
        row = await (await conn.execute(sql, args)).fetchone()
    except psycopg.errors.UniqueViolation as exc:
        await conn.rollback()
        raise ApiError(409, "duplicate", "a row with this code already exists",
                       {"constraint": exc.diag.constraint_name}) from None
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        await conn.rollback()
        raise ApiError(422, "constraint_violated", "the values break a registry rule",
                       {"constraint": exc.diag.constraint_name, "reason": exc.diag.message_primary}) from None
    assert row is not None
    return int(row[0])


@router.post("/{kind}", summary="登记 / register a site, enterprise, outlet or device", status_code=201)
async def create(kind: Kind, body: AnyNew, request: Request, principal: Editor, conn: Conn) -> dict:  # type: ignore[valid-type]
    fields = _parse(NEW[kind], body.model_dump(exclude_unset=True)).model_dump(exclude_none=True)
    state = fields.get("state", "active")
    try:
        vocabulary().check_transition(None, state)
    except TransitionError as exc:
        raise ApiError(422, "invalid_state", str(exc)) from None
    if kind == "site":
        if fields["element"] not in {e.code for e in vocabulary().elements}:
            raise ApiError(422, "unknown_element", f"{fields['element']!r} is not an element")
        _validate_site_type(fields, fields["element"])
    if kind == "device":
        fields["password_hash"] = hash_device_password(fields.pop("password"))
    await _check_target_region(conn, principal, kind, fields)
    await audit.attribute(conn, principal.username, f"console register {kind}")
    fields["updated_by"] = principal.username
    columns = list(fields)
    new_id = await _write(conn, f"INSERT INTO {kind} ({', '.join(columns)}) VALUES "
                                f"({', '.join(['%s'] * len(columns))}) RETURNING id", [fields[c] for c in columns])
    await _history(conn, kind, new_id, state, dt.date.today(), "registered", principal.username)
    await audit.record(conn, principal.username, f"registry.{kind}.create", f"{kind}:{new_id}",
                       {k: v for k, v in fields.items() if k != "password_hash"}, _ip(request))
    await conn.commit()
    return {"id": new_id, "kind": kind, "state": state}


@router.patch("/{kind}/{entity_id}", summary="修改 / edit a registry row")
async def edit(kind: Kind, entity_id: Annotated[int, Path(ge=1)], body: AnyEdit, request: Request,
               principal: Editor, conn: Conn) -> dict:  # type: ignore[valid-type]
    fields = _parse(EDIT[kind], body.model_dump(exclude_unset=True)).model_dump(exclude_unset=True)
    if not fields:
        raise ApiError(422, "nothing_to_change", "send at least one field to change")
    await _owned(conn, principal, kind, entity_id)
    await _check_target_region(conn, principal, kind, {k: v for k, v in fields.items() if v is not None})
    if kind == "site" and "site_type" in fields:
        element = await (await conn.execute("SELECT element FROM site WHERE id = %s", (entity_id,))).fetchone()
        _validate_site_type(fields, element[0] if element else None)
    if kind == "device" and fields.get("site_id") is not None:
        fields["outlet_id"] = None       # a device serves one place: a site or an outlet
    if kind == "device" and fields.get("outlet_id") is not None:
        fields["site_id"] = None
    await audit.attribute(conn, principal.username, f"console edit {kind}")
    sets = ", ".join(f"{column} = %s" for column in fields)
    await _write(conn, f"UPDATE {kind} SET {sets}, updated_at = now(), updated_by = %s WHERE id = %s RETURNING id",
                 [*fields.values(), principal.username, entity_id])
    await audit.record(conn, principal.username, f"registry.{kind}.edit", f"{kind}:{entity_id}", fields, _ip(request))
    await conn.commit()
    return {"id": entity_id, "kind": kind, "changed": sorted(fields)}


@router.post("/{kind}/{entity_id}/state", summary="状态变更 / lifecycle change (retire, suspend …) with its date")
async def change_state(kind: Kind, entity_id: Annotated[int, Path(ge=1)], body: StateChange, request: Request,
                       principal: Editor, conn: Conn) -> dict:  # type: ignore[valid-type]
    await _owned(conn, principal, kind, entity_id)
    old = await (await conn.execute(f"SELECT state FROM {kind} WHERE id = %s FOR UPDATE", (entity_id,))).fetchone()
    try:
        vocabulary().check_transition(old[0], body.state)
    except TransitionError as exc:
        raise ApiError(409, "invalid_transition", str(exc), {"from": old[0], "to": body.state}) from None
    await audit.attribute(conn, principal.username, f"console {kind} {old[0]} -> {body.state}")
    await conn.execute(f"UPDATE {kind} SET state = %s, updated_at = now(), updated_by = %s WHERE id = %s",
                       (body.state, principal.username, entity_id))
    await _history(conn, kind, entity_id, body.state, body.valid_from, body.reason, principal.username)
    await audit.record(conn, principal.username, f"registry.{kind}.state", f"{kind}:{entity_id}",
                       {"from": old[0], "to": body.state, "valid_from": body.valid_from.isoformat(),
                        "reason": body.reason}, _ip(request))
    await conn.commit()
    return {"id": entity_id, "kind": kind, "from": old[0], "state": body.state}


@router.get("/{kind}/{entity_id}/history", summary="状态历史 / dated lifecycle history of a registry row")
async def history(kind: Kind, entity_id: Annotated[int, Path(ge=1)], principal: Editor,  # type: ignore[valid-type]
                  conn: Conn) -> dict:
    await _owned(conn, principal, kind, entity_id)
    return {"results": await state_history(conn, kind, entity_id)}


async def state_history(conn: AsyncConnection, kind: str, entity_id: int) -> list[dict]:
    """Lifecycle history of one row, oldest first (the caller has checked scope)."""
    if kind == "site":
        sql, args = ("SELECT state, valid_from, reason, changed_at, changed_by FROM site_state_history "
                     "WHERE site_id = %s ORDER BY valid_from, id"), [entity_id]
    else:
        sql, args = ("SELECT state, valid_from, reason, changed_at, changed_by FROM registry_state_history "
                     "WHERE kind = %s AND entity_id = %s ORDER BY valid_from, id"), [kind, entity_id]
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql, args)
    return await cur.fetchall()


async def _history(conn: AsyncConnection, kind: str, entity_id: int, state: str, valid_from: dt.date,
                   reason: str, by: str) -> None:
    if kind == "site":
        await conn.execute("INSERT INTO site_state_history (site_id, state, valid_from, reason, changed_by) "
                           "VALUES (%s, %s, %s, %s, %s)", (entity_id, state, valid_from, reason, by))
    else:
        await conn.execute("INSERT INTO registry_state_history (kind, entity_id, state, valid_from, reason, "
                           "changed_by) VALUES (%s, %s, %s, %s, %s, %s)",
                           (kind, entity_id, state, valid_from, reason, by))


def _parse(model: type[_Body], body: dict) -> _Body:
    """Validate a body against the model of its kind (the kind is only known from the path)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", "the body is invalid",
                       [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]) from None
