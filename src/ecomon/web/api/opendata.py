"""Open data: the catalogue of downloadable data sets with their licences, bulk CSV downloads streamed from a
server-side cursor (constant memory whatever the period), and API-key sign-up.

Downloads contain what the public may see and nothing else: released observations (review_state = 3) of active
sites, without values that quality control withheld (QARTOD 4 fail, 9 missing).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from ecomon.web.api.common import csv_cell
from ecomon.web.api.filters import LOCAL_TZ
from ecomon.web.auth import Conn, accounts, audit, current_principal, require_roles
from ecomon.web.auth.hardening import CleanStr
from ecomon.web.auth.scope import RELEASED, WITHHELD_QC
from ecomon.web.auth.signup import sign_up
from ecomon.web.errors import ApiError

# Open to everyone, but a credential that is presented must be valid (a revoked key is refused, not ignored).
router = APIRouter(prefix="/opendata", tags=["open data"], dependencies=[Depends(current_principal)])

FETCH_ROWS = 5000


@dataclass(frozen=True)
class Licence:
    name: str
    url: str


CC_BY_4 = Licence("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")


@dataclass(frozen=True)
class Dataset:
    id: str
    title_zh: str
    title_en: str
    licence: Licence
    attribution: str
    columns: tuple[str, ...]
    sql: str
    """SELECT of the rows in download order; %(from)s/%(to)s/%(site)s may be NULL (no limit)."""


_AIR_HOURLY = f"""
    SELECT s.code AS site_code, s.name_zh AS site_name, se.parameter_code,
           coalesce(pu.unit, p.unit) AS unit, o.t, o.value, o.data_flag, o.qc_flag
    FROM site s JOIN series se ON se.site_id = s.id JOIN observation o ON o.series_id = se.id
    JOIN parameter p ON p.code = se.parameter_code
    LEFT JOIN parameter_unit pu ON pu.code = se.parameter_code AND pu.element = s.element
    WHERE s.state = 'active' AND s.element = 'air' AND se.interval_kind = 'hour'
      AND o.review_state = {RELEASED} AND o.value IS NOT NULL AND o.qc_flag NOT IN {WITHHELD_QC}
      AND (%(site)s::text IS NULL OR s.code = %(site)s)
      AND (%(from)s::timestamptz IS NULL OR o.t >= %(from)s) AND (%(to)s::timestamptz IS NULL OR o.t < %(to)s)
    ORDER BY s.code, se.parameter_code, o.t"""

_SITES = """
    SELECT s.code AS site_code, s.name_zh, s.name_en, s.element, s.site_type, s.control_level, s.region_code,
           r.name_zh AS region_name, s.lon, s.lat, s.operator
    FROM site s JOIN region r ON r.code = s.region_code
    WHERE s.state = 'active' AND (%(site)s::text IS NULL OR s.code = %(site)s)
    ORDER BY s.code"""

BEIJING_ATTRIBUTION = (
    "Beijing Multi-Site Air-Quality Data (UCI Machine Learning Repository), Beijing Municipal Environmental "
    "Monitoring Center; Zhang S., Guo B., Dong A., He J., Xu Z., Chen S.X. (2017), Cautionary tales on air-quality "
    "improvement in Beijing, Proc. R. Soc. A 473: 20170457, doi:10.1098/rspa.2017.0457. Licensed CC BY 4.0.")

CATALOGUE: dict[str, Dataset] = {d.id: d for d in (
    Dataset("air-hourly", "环境空气质量小时数据（已发布）", "Ambient air quality, hourly (released)", CC_BY_4,
            BEIJING_ATTRIBUTION,
            ("site_code", "site_name", "parameter_code", "unit", "t", "value", "data_flag", "qc_flag"), _AIR_HOURLY),
    Dataset("sites", "监测站点名录", "Monitoring sites", CC_BY_4,
            "ecomon site registry (GB/T 2260 region codes); station list after the Beijing Multi-Site Air-Quality "
            "Data, CC BY 4.0.",
            ("site_code", "name_zh", "name_en", "element", "site_type", "control_level", "region_code",
             "region_name", "lon", "lat", "operator"), _SITES),
)}


class DatasetInfo(BaseModel):
    id: str
    title_zh: str
    title_en: str
    licence: str
    licence_url: str
    attribution: str
    columns: list[str]
    download: str


def dataset_info(d: Dataset) -> DatasetInfo:
    return DatasetInfo(id=d.id, title_zh=d.title_zh, title_en=d.title_en, licence=d.licence.name,
                       licence_url=d.licence.url, attribution=d.attribution, columns=list(d.columns),
                       download=f"/api/v1/opendata/datasets/{d.id}.csv")


@router.get("/datasets", summary="开放数据目录 / open-data catalogue with licences", response_model=list[DatasetInfo])
async def catalogue() -> list[DatasetInfo]:
    return [dataset_info(d) for d in CATALOGUE.values()]


class DownloadQuery(BaseModel):
    date_from: date | None = Field(None, alias="from", description="first local day (inclusive)")
    date_to: date | None = Field(None, alias="to", description="last local day (inclusive)")
    site: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="one site code")


@router.get("/datasets/{dataset}.csv", summary="批量下载 / bulk CSV download (streamed, released data only)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "the data set as CSV"}})
async def download(dataset: Literal["air-hourly", "sites"], q: Annotated[DownloadQuery, Query()],
                   request: Request) -> StreamingResponse:
    d = CATALOGUE[dataset]
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise ApiError(422, "invalid_time_range", "`from` is after `to`")
    args = {"site": q.site, "from": _local_midnight(q.date_from, 0), "to": _local_midnight(q.date_to, 1)}
    suffix = "".join(f"_{v}" for v in (q.site, q.date_from, q.date_to) if v)
    return StreamingResponse(
        stream_csv(request, d, args), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{d.id}{suffix}.csv"'})


def _local_midnight(day: date | None, plus_days: int) -> datetime | None:
    """Start of a China Standard Time day (UTC+8), `plus_days` later, as an aware datetime."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=plus_days), datetime.min.time(), LOCAL_TZ)


async def stream_csv(request: Request, d: Dataset, args: dict) -> AsyncIterator[bytes]:
    """The header, then rows in FETCH_ROWS chunks from a named (server-side) cursor: memory stays flat."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(d.columns)
    yield ("\ufeff" + buf.getvalue()).encode()  # BOM: spreadsheets in China open UTF-8 CSV correctly with it
    async with request.app.state.pool.connection() as conn, conn.transaction(), \
            conn.cursor(name=f"download_{d.id.replace('-', '_')}") as cur:
        await cur.execute(d.sql, args)
        while rows := await cur.fetchmany(FETCH_ROWS):
            buf.seek(0)
            buf.truncate()
            writer.writerows([csv_cell(v.isoformat() if isinstance(v, datetime) else v) for v in row]
                             for row in rows)
            yield buf.getvalue().encode()


class SignupBody(BaseModel):
    email: CleanStr = Field(min_length=3, max_length=254, description="contact address of the key holder")
    purpose: CleanStr = Field(min_length=5, max_length=500, description="what the data will be used for")


class IssuedKeyOut(BaseModel):
    token_id: int
    token: str = Field(description="shown once; only its SHA-256 digest is stored")
    scopes: list[str]
    expires_at: datetime
    revoke: str = Field(description="how to revoke the key")


@router.post("/keys", summary="申请开放接口密钥 / sign up for an open-data API key", status_code=201,
             response_model=IssuedKeyOut)
async def request_key(body: SignupBody, request: Request, conn: Conn) -> IssuedKeyOut:
    ip = request.client.host if request.client else None
    try:
        issued = await sign_up(conn, body.email, body.purpose, ip)
    except accounts.AccountError as exc:
        await conn.rollback()
        raise ApiError(429 if exc.code == "rate_limited" else 422, exc.code, str(exc)) from None
    await conn.commit()
    return IssuedKeyOut(token_id=issued.token_id, token=issued.token, scopes=["read"], expires_at=issued.expires_at,
                        revoke="POST /api/v1/opendata/keys/revoke with {\"token\": <the key>}")


class RevokeBody(BaseModel):
    token: CleanStr = Field(min_length=1, max_length=200, description="the key to revoke")


@router.post("/keys/revoke", summary="吊销开放接口密钥 / revoke a key by presenting it", status_code=204,
             response_class=Response)
async def revoke_key(body: RevokeBody, request: Request, conn: Conn) -> Response:
    """Whoever holds a key may end it (proof of possession), even a read-only one that cannot write."""
    if await accounts.revoke_token_value(conn, body.token, request.client.host if request.client else None) is None:
        raise ApiError(404, "unknown_token", "no active key with this value")
    await conn.commit()
    return Response(status_code=204)


DisclosureAdmin = require_roles("admin", "centre")


class DisclosureBody(BaseModel):
    disclosed: bool = Field(description="publish this enterprise's released outlet data on the portal")
    note: CleanStr | None = Field(None, max_length=500, description="e.g. the key-unit list it is on")


class DisclosureOut(BaseModel):
    enterprise_id: int
    disclosed: bool
    note: str | None
    updated_by: str
    updated_at: datetime


@router.put("/disclosure/{enterprise_id}", summary="企业信息公开设置 / switch an enterprise's emission disclosure",
            response_model=DisclosureOut)
async def set_disclosure(enterprise_id: int, body: DisclosureBody, request: Request, principal: DisclosureAdmin,
                         conn: Conn) -> DisclosureOut:
    """Admins and monitoring centres of the enterprise's region decide what the portal discloses (audited)."""
    visible = await (await conn.execute(
        """SELECT 1 FROM enterprise e WHERE e.id = %s
             AND (%s::text IS NULL OR e.region_code IN (SELECT region_descendants(%s)))""",
        (enterprise_id, principal.region_code, principal.region_code))).fetchone()
    if visible is None:
        raise ApiError(404, "unknown_enterprise", "no such enterprise, or it is outside your access scope",
                       {"enterprise_id": enterprise_id})
    row = await (await conn.execute(
        """INSERT INTO disclosure_setting (enterprise_id, disclosed, note, updated_by) VALUES (%s, %s, %s, %s)
           ON CONFLICT (enterprise_id) DO UPDATE SET disclosed = excluded.disclosed, note = excluded.note,
             updated_by = excluded.updated_by, updated_at = now()
           RETURNING enterprise_id, disclosed, note, updated_by, updated_at""",
        (enterprise_id, body.disclosed, body.note, principal.username))).fetchone()
    await audit.record(conn, principal.username, "disclosure.set", f"enterprise:{enterprise_id}",
                       {"disclosed": body.disclosed, "note": body.note},
                       request.client.host if request.client else None)
    await conn.commit()
    return DisclosureOut(enterprise_id=row[0], disclosed=row[1], note=row[2], updated_by=row[3], updated_at=row[4])
