"""Review and sign-off API: bulk review by site + period + parameter, per-value QC results, monthly electronic
sign-off, the review log and interference records (干预留痕). Staff only; every step is role-checked in
ecomon.quality.review, region-scoped through the site, and recorded — refused attempts too."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from psycopg import AsyncConnection
from pydantic import BaseModel, Field, field_validator

from ecomon.config import get_settings
from ecomon.quality import review
from ecomon.quality.pipeline import TEST_BITS
from ecomon.web.api.common import fetch_page, label_review, resolve_parameter, visible_site
from ecomon.web.api.filters import LOCAL_TZ, Paging, TimeRange
from ecomon.web.auth import Conn, Staff
from ecomon.web.auth.hardening import CleanStr
from ecomon.web.auth.scope import site_condition
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/review", tags=["review"])
MONTH = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"     # YYYY-MM, years 1900–2099
T = TypeVar("T")


def _local(v: datetime) -> datetime:
    return v.replace(tzinfo=LOCAL_TZ) if v.tzinfo is None else v


class Period(BaseModel):
    site: CleanStr = Field(max_length=64, description="site code")
    parameter: CleanStr | None = Field(None, max_length=32, description="HJ 212 code or alias; omit for all")
    date_from: datetime = Field(alias="from", description="start (inclusive); no offset = UTC+8")
    date_to: datetime = Field(alias="to", description="end (exclusive)")

    _local_times = field_validator("date_from", "date_to")(_local)

    def scope(self) -> review.Scope:
        return review.Scope(self.site, self.date_from, self.date_to, self.parameter)


class AcceptBody(Period):
    level: Literal[1, 2, 3] = Field(description="1 reviewed (一审), 2 audited (二审), 3 released (发布)")


class InvalidateBody(Period):
    reason: CleanStr = Field(min_length=1, max_length=1000, description="why the values are invalid")


class CorrectBody(BaseModel):
    site: CleanStr = Field(max_length=64)
    parameter: CleanStr = Field(max_length=32)
    t: datetime = Field(description="time of the value (no offset = UTC+8)")
    value: float = Field(allow_inf_nan=False)
    reason: CleanStr = Field(min_length=1, max_length=1000)

    _local_time = field_validator("t")(_local)


class Outcome(BaseModel):
    action: str
    changed: int = Field(description="values changed")
    skipped: int = Field(0, description="values in the period not at the level below (accept only)")


class SignBody(BaseModel):
    site: CleanStr = Field(max_length=64)
    month: CleanStr = Field(pattern=MONTH, description="YYYY-MM")
    level: Literal[1, 2, 3]


class ReopenBody(BaseModel):
    site: CleanStr = Field(max_length=64)
    month: CleanStr = Field(pattern=MONTH)
    reason: CleanStr = Field(min_length=1, max_length=1000)


class InterferenceBody(BaseModel):
    requested_at: datetime = Field(description="when the request was made")
    requester: CleanStr = Field(min_length=1, max_length=200, description="who asked (name)")
    requester_org: CleanStr | None = Field(None, max_length=200)
    channel: Literal["in_person", "phone", "message", "document", "other"] = "other"
    request: CleanStr = Field(min_length=1, max_length=4000, description="what was asked for")
    response: CleanStr | None = Field(None, max_length=4000, description="what the filer answered or did")
    site: CleanStr | None = Field(None, max_length=64)
    date_from: datetime | None = Field(None, alias="from")
    date_to: datetime | None = Field(None, alias="to")


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _step(conn: AsyncConnection, call: Awaitable[T]) -> T:
    """Run a review step and commit; a refusal is committed too (it is recorded) and becomes an API error."""
    try:
        result = await call
    except review.Refused as exc:
        await conn.commit()
        raise ApiError(exc.status, exc.code, exc.message) from None
    except review.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except (ValueError, OverflowError) as exc:
        raise ApiError(422, "invalid_review", str(exc)) from None
    await conn.commit()
    return result


def _tz() -> str:
    return get_settings().timezone


@router.post("/accept", summary="审核通过 / promote values of a period one level", response_model=Outcome)
async def accept(body: AcceptBody, request: Request, principal: Staff, conn: Conn) -> Outcome:
    out = await _step(conn, review.accept(conn, principal, body.scope(), body.level, _tz(), _ip(request)))
    return Outcome(action=out.action, changed=out.changed, skipped=out.skipped)


@router.post("/invalidate", summary="判为无效 / invalidate values of a period with a reason", response_model=Outcome)
async def invalidate(body: InvalidateBody, request: Request, principal: Staff, conn: Conn) -> Outcome:
    out = await _step(conn, review.invalidate(conn, principal, body.scope(), body.reason, _tz(), _ip(request)))
    return Outcome(action=out.action, changed=out.changed)


@router.post("/correct", summary="修正数值 / correct one value (original kept)", response_model=Outcome)
async def correct(body: CorrectBody, request: Request, principal: Staff, conn: Conn) -> Outcome:
    out = await _step(conn, review.correct(conn, principal, body.site, body.parameter, body.t, body.value,
                                           body.reason, _tz(), _ip(request)))
    return Outcome(action=out.action, changed=out.changed)


@router.post("/signoffs", summary="电子签发 / sign a site-month at a level")
async def sign(body: SignBody, request: Request, principal: Staff, conn: Conn) -> dict:
    """Returns the sign-off: id, site, month, level, signed_by, signed_at, n_values, data_digest, signature."""
    return await _step(conn, review.sign(conn, principal, body.site, _month(body.month), body.level, _tz(),
                                         _ip(request)))


@router.post("/signoffs/reopen", summary="撤销签发 / reopen a signed site-month with a reason")
async def reopen(body: ReopenBody, request: Request, principal: Staff, conn: Conn) -> dict:
    n = await _step(conn, review.reopen(conn, principal, body.site, _month(body.month), body.reason, _tz(),
                                        _ip(request)))
    return {"reopened": n}


class SignoffQuery(Paging):
    site: str | None = Field(None, max_length=64)


@router.get("/signoffs", summary="签发记录 / sign-offs of visible sites")
async def list_signoffs(q: Annotated[SignoffQuery, Query()], principal: Staff, conn: Conn) -> dict:
    scope, args = site_condition(principal, "s")
    site = "s.code = %s" if q.site else "true"
    return await fetch_page(
        conn, f"""SELECT f.id, s.code AS site, to_char(f.month, 'YYYY-MM') AS month, f.level, f.signed_by,
                         f.signed_at, f.n_values, f.data_digest, f.signature, f.reopened_at, f.reopened_by,
                         f.reopen_reason
                  FROM signoff f JOIN site s ON s.id = f.site_id WHERE {scope} AND {site}
                  ORDER BY f.month DESC, s.code, f.level, f.id""", [*args, *([q.site] if q.site else [])], q)


class ActionQuery(TimeRange, Paging):
    site: str | None = Field(None, max_length=64)
    outcome: Literal["done", "refused"] | None = None


@router.get("/actions", summary="审核记录 / review log incl. refused attempts")
async def list_actions(q: Annotated[ActionQuery, Query()], principal: Staff, conn: Conn) -> dict:
    where, args = q.where({"t": "a.at"})
    scope, scope_args = site_condition(principal, "s")
    extra, extra_args = [], []
    if q.site:
        extra.append("s.code = %s")
        extra_args.append(q.site)
    if q.outcome:
        extra.append("a.outcome = %s")
        extra_args.append(q.outcome)
    return await fetch_page(
        conn, f"""SELECT a.id, a.at, a.actor, a.role, a.action, a.outcome, s.code AS site, a.parameter_code,
                         a.t_from, a.t_to, a.level, a.n_values, a.reason, a.detail
                  FROM review_action a JOIN site s ON s.id = a.site_id
                  WHERE {where} AND {scope} AND {' AND '.join(extra) or 'true'} ORDER BY a.id DESC""",
        [*args, *scope_args, *extra_args], q)


class QcQuery(TimeRange, Paging):
    parameter: str = Field(max_length=32, description="HJ 212 code or alias")


@router.get("/sites/{site}/qc", summary="质控结果 / values with QC flag, failed tests and review state")
async def site_qc(site: str, q: Annotated[QcQuery, Query()], principal: Staff, conn: Conn) -> dict:
    """`suspect_tests` / `fail_tests` name the rule tests that judged the value (empty when all passed)."""
    row = await visible_site(conn, principal, site)
    code = await resolve_parameter(conn, q.parameter)
    where, args = q.where({"t": "o.t"})
    page = await fetch_page(
        conn, f"""SELECT o.t, o.value, o.data_flag, o.qc_flag, o.review_state, o.version,
                         coalesce(r.suspect, 0) AS suspect, coalesce(r.fail, 0) AS fail, r.version AS qc_config
                  FROM observation o JOIN series se ON se.id = o.series_id
                  LEFT JOIN qc_result r ON r.series_id = o.series_id AND r.t = o.t
                  WHERE se.site_id = %s AND se.parameter_code = %s AND se.interval_kind = 'hour' AND {where}
                  ORDER BY o.t""", [row["id"], code, *args], q)
    for r in label_review(page["results"]):
        r["suspect_tests"] = [t for i, t in enumerate(TEST_BITS) if r["suspect"] >> i & 1]
        r["fail_tests"] = [t for i, t in enumerate(TEST_BITS) if r["fail"] >> i & 1]
    page["meta"] |= {"site": row["code"], "parameter": code, "tests": list(TEST_BITS)}
    return page


@router.post("/interference", summary="干预留痕 / file a record of outside interference (permanent)")
async def file_interference(body: InterferenceBody, request: Request, principal: Staff, conn: Conn) -> dict:
    rec = review.Interference(_local(body.requested_at), body.requester, body.request, body.channel,
                              body.requester_org, body.response, body.site,
                              body.date_from and _local(body.date_from), body.date_to and _local(body.date_to))
    return {"id": await _step(conn, review.file_interference(conn, principal, rec, _ip(request)))}


class InterferenceQuery(Paging):
    site: str | None = Field(None, max_length=64)


@router.get("/interference", summary="干预记录 / interference records (own region; national staff all)")
async def list_interference(q: Annotated[InterferenceQuery, Query()], principal: Staff, conn: Conn) -> dict:
    """Records about a visible site, and records without a site filed by the caller (or any, for national staff)."""
    scope, args = site_condition(principal, "s")
    own = "true" if principal.region_code is None else "i.filed_by = %s"
    own_args = [] if principal.region_code is None else [principal.username]
    site = "s.code = %s" if q.site else "true"
    return await fetch_page(
        conn, f"""SELECT i.id, i.filed_at, i.filed_by, i.requested_at, i.requester, i.requester_org, i.channel,
                         i.request, i.response, s.code AS site, i.t_from, i.t_to
                  FROM interference i LEFT JOIN site s ON s.id = i.site_id
                  WHERE (CASE WHEN i.site_id IS NULL THEN {own} ELSE {scope} END) AND {site}
                  ORDER BY i.id DESC""", [*own_args, *args, *([q.site] if q.site else [])], q)
