"""Parameters (HJ 212-2017 factor codes) with their units per element and aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ecomon.web.api.common import fetch_all, fetch_page, resolve_parameter
from ecomon.web.api.filters import ElementFilter, Paging
from ecomon.web.auth import Conn, current_principal

# Public catalogue data, but a presented credential must be valid (a revoked key is refused, not ignored).
router = APIRouter(prefix="/parameters", tags=["parameters"], dependencies=[Depends(current_principal)])

_SELECT = """SELECT p.code, p.name_zh, p.name_en, p.element, p.unit, p.legacy_code, p.decimals,
                    coalesce((SELECT array_agg(a.alias ORDER BY a.alias) FROM parameter_alias a
                              WHERE a.code = p.code), '{}') AS aliases
             FROM parameter p"""


class ParameterQuery(ElementFilter, Paging):
    pass


@router.get("", summary="监测项目 / parameters (catalogue data, public)")
async def list_parameters(q: Annotated[ParameterQuery, Query()], conn: Conn) -> dict:
    where, args = q.where({"element": "p.element"})
    return await fetch_page(conn, f"{_SELECT} WHERE {where} ORDER BY p.code", args, q)


@router.get("/{parameter}", summary="监测项目 / one parameter by code or alias, with units per element")
async def get_parameter(parameter: str, conn: Conn) -> dict:
    code = await resolve_parameter(conn, parameter)
    row = (await fetch_all(conn, f"{_SELECT} WHERE p.code = %s", [code]))[0]
    row["units"] = await fetch_all(conn, "SELECT element, unit, decimals FROM parameter_unit WHERE code = %s "
                                         "ORDER BY element", [code])
    return row
