"""Alarm events of the falsification/anomaly detectors: list, detail with evidence (chart-ready series), verdict.

Staff see alarms of the sites in their region; admin, centre and reviewer users may confirm or dismiss them
(the verdicts are the labels the detectors are tuned on)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from ecomon.quality import alarms
from ecomon.web.api.filters import Paging
from ecomon.web.auth import Conn, Staff, require_roles
from ecomon.web.auth.hardening import CleanStr
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/alarms", tags=["alarms"])
AlarmId = Annotated[int, Path(ge=1, le=2**63 - 1, description="alarm event id")]
Judge = require_roles(*alarms.VERDICT_ROLES)


class AlarmQuery(Paging):
    status: Literal["open", "confirmed", "dismissed"] | None = None
    site: str | None = Field(None, max_length=64, description="site code")
    detector: str | None = Field(None, max_length=32, description="detector name, e.g. flat, copy, clamp")


@router.get("", summary="告警列表 / alarm events of visible sites, newest first")
async def list_alarms(q: Annotated[AlarmQuery, Query()], principal: Staff, conn: Conn) -> dict:
    """Each result: id, detector, detector_label, site, site_name, parameter_code ('' = station level), t_start,
    t_end (inclusive), score (0–1), status, verdict_by, verdict_at, verdict_note."""
    found, rows = await alarms.list_alarms(conn, principal, status=q.status, site=q.site, detector=q.detector,
                                           limit=q.limit, offset=q.offset)
    return {"meta": {"page": q.page, "limit": q.limit, "found": found}, "results": rows}


async def _visible(conn: Conn, principal: Staff, alarm_id: int) -> dict:  # type: ignore[valid-type]
    row = await alarms.get_alarm(conn, principal, alarm_id)
    if row is None:
        raise ApiError(404, "unknown_alarm", "no such alarm, or it is outside your access scope", {"id": alarm_id})
    return row


@router.get("/{alarm_id}", summary="告警详情 / one alarm with its evidence")
async def get_alarm(alarm_id: AlarmId, principal: Staff, conn: Conn) -> dict:
    """`evidence.statistics`: the detector's statistic, threshold and context; `evidence.series`: time, value
    (and reference, e.g. the neighbours' median) around the window, ready for a line chart."""
    return await _visible(conn, principal, alarm_id)


class VerdictBody(BaseModel):
    verdict: Literal["confirmed", "dismissed"]
    note: CleanStr | None = Field(None, max_length=1000, description="why (kept as the label's explanation)")


@router.post("/{alarm_id}/verdict", summary="确认或排除告警 / confirm or dismiss an alarm")
async def verdict(alarm_id: AlarmId, body: VerdictBody, request: Request, principal: Judge, conn: Conn) -> dict:  # type: ignore[valid-type]
    row = await alarms.set_verdict(conn, principal, alarm_id, body.verdict, body.note,
                                   request.client.host if request.client else None)
    if row is None:
        raise ApiError(404, "unknown_alarm", "no such alarm, or it is outside your access scope", {"id": alarm_id})
    await conn.commit()
    return row
