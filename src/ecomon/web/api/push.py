"""Department push: observation batches over HTTP (JSON or CSV), the API counterpart of file import.

A batch is a long table (site, parameter, t, value, optional unit and HJ 212 flag). It goes through the same
transform as an imported file (ingest/files/transform: time zones, aliases, unit conversion, per-cell rejects)
and the same merge (store/observations.merge: idempotent upsert with history), with lineage channel 'api'.

Idempotent by batch id: the same (user, batch id) with the same content returns the stored outcome without
writing again (a client may retry after a timeout); with other content it is refused (409). Rows for sites
outside the caller's region are rejected row by row (like unknown sites), never written.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ecomon.config import get_settings
from ecomon.ingest.files.importer import _store_rejects, _with_series, read_table
from ecomon.ingest.files.mapping import Mapping, parse_mapping
from ecomon.ingest.files.transform import ParameterInfo, transform
from ecomon.registry import lookups
from ecomon.store import observations
from ecomon.store.archive import archive_bytes
from ecomon.store.db import connect
from ecomon.web.auth import Principal, require_roles
from ecomon.web.auth.hardening import CleanStr
from ecomon.web.auth.scope import site_condition
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/push", tags=["push"])
Pusher = require_roles("admin", "centre", "department")

MAX_ROWS = 100_000
MAX_CSV_BYTES = 20 * 1024 * 1024
ERRORS_SHOWN = 1000
COLUMNS = ("site", "parameter", "t", "value", "unit", "flag")
BatchId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,100}$", description="client-chosen id; retries reuse it")]
Interval = Literal["raw", "minute", "hour", "day"]


class PushRow(BaseModel):
    site: CleanStr = Field(max_length=64, description="site code")
    parameter: CleanStr = Field(max_length=32, description="HJ 212 factor code or alias, e.g. a34004, PM2.5")
    t: CleanStr = Field(max_length=40, description="ISO 8601 time; without an offset it is China Standard Time")
    value: float | CleanStr | None = Field(description="the value, in `unit` or the parameter's stored unit")
    unit: CleanStr | None = Field(None, max_length=20, description="unit of `value`; converted on the way in")
    flag: CleanStr | None = Field(None, max_length=4, description="HJ 212 data flag (N, F, M, S, D, C, T, B …)")


class PushBatch(BaseModel):
    batch_id: BatchId
    interval: Interval = "hour"
    rows: list[PushRow] = Field(min_length=1, max_length=MAX_ROWS)


class RowError(BaseModel):
    row: int = Field(description="1-based row of the batch")
    column: str
    value: str | None
    reason: str


class PushOutcome(BaseModel):
    batch_id: str
    replayed: bool = Field(description="true when this batch id was already stored and nothing was written now")
    ingest_id: int
    rows_total: int
    rows_rejected: int
    values_accepted: int
    values_rejected: int
    values_flagged: int
    values_changed: int
    errors: list[RowError]
    errors_truncated: bool


def push_mapping(interval: str, columns: list[str]) -> Mapping:
    """The import mapping of a push batch: long shape, one time column, units and flags when sent."""
    layout = {"shape": "long", "interval": interval, "parameter_column": "parameter", "value_column": "value"}
    layout |= {"unit_column": "unit"} if "unit" in columns else {}
    layout |= {"flag_column": "flag"} if "flag" in columns else {}
    return parse_mapping({"time": {"column": "t"}, "station": {"column": "site"}, "layout": layout}, "push")


@router.post("/batches", summary="推送数据批次 / push a batch of observations (JSON)", response_model=PushOutcome)
async def push_json(body: PushBatch, request: Request, principal: Pusher) -> PushOutcome:
    frame = pl.DataFrame([{k: _text(getattr(r, k)) for k in COLUMNS} for r in body.rows],
                         schema={k: pl.Utf8 for k in COLUMNS}, orient="row")
    canonical = json.dumps({"interval": body.interval, "rows": [r.model_dump() for r in body.rows]},
                           ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return await _store(request, principal, body.batch_id, body.interval, frame, canonical, "json")


def _text(value: object) -> str | None:
    return None if value is None else repr(value) if isinstance(value, float) else str(value)


@router.post("/batches/csv", summary="推送数据批次 / push a batch of observations (CSV body)",
             response_model=PushOutcome,
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                 "type": "string", "description": "header site,parameter,t,value[,unit][,flag]; UTF-8"}}}}})
async def push_csv(request: Request, principal: Pusher,
                   batch_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")],
                   interval: Interval = "hour") -> PushOutcome:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_CSV_BYTES:  # refuse before reading a huge body into memory
        raise ApiError(413, "batch_too_large", f"a CSV batch may have at most {MAX_CSV_BYTES} bytes")
    data = await request.body()
    if len(data) > MAX_CSV_BYTES:
        raise ApiError(413, "batch_too_large", f"a CSV batch may have at most {MAX_CSV_BYTES} bytes")
    try:
        frame = read_table(data, "push.csv", push_mapping(interval, []))
    except (pl.exceptions.PolarsError, UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
        raise ApiError(422, "invalid_csv", f"the body is not a readable UTF-8 CSV table: {exc}"[:300]) from None
    missing = [c for c in ("site", "parameter", "t", "value") if c not in frame.columns]
    unexpected = [c for c in frame.columns if c not in COLUMNS]
    if missing or unexpected:
        raise ApiError(422, "invalid_columns", "the header must be site,parameter,t,value[,unit][,flag]",
                       {"missing": missing, "unexpected": unexpected})
    if not 0 < frame.height <= MAX_ROWS:
        raise ApiError(422, "invalid_row_count", f"a batch has 1 to {MAX_ROWS} rows", {"rows": frame.height})
    return await _store(request, principal, batch_id, interval, frame, data, "csv")


async def _store(request: Request, principal: Principal, batch_id: str, interval: str, frame: pl.DataFrame,
                 raw: bytes, kind: str) -> PushOutcome:
    url = request.app.state.pool.conninfo
    outcome = await asyncio.to_thread(store_batch, url, principal, batch_id, interval, frame, raw, kind)
    return PushOutcome(**outcome)


def store_batch(url: str, principal: Principal, batch_id: str, interval: str, frame: pl.DataFrame, raw: bytes,
                kind: str) -> dict:
    """Transform, scope-check and merge one batch in one transaction; returns the outcome (also stored)."""
    settings = get_settings()
    sha = hashlib.sha256(raw).hexdigest()
    with connect(url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"push:{principal.user_id}:{batch_id}",))
        stored = conn.execute("SELECT sha256, outcome FROM push_batch WHERE user_id = %s AND batch_id = %s",
                              (principal.user_id, batch_id)).fetchone()
        if stored is not None:
            if stored[0] != sha:
                raise ApiError(409, "batch_id_reused", "this batch id was already used for different content",
                               {"batch_id": batch_id})
            return stored[1] | {"replayed": True}
        mapping = push_mapping(interval, frame.columns)
        scope, scope_args = site_condition(principal, "s")
        visible = {code: site_id for code, site_id in conn.execute(
            f"SELECT s.code, s.id FROM site s WHERE {scope}", scope_args).fetchall()}
        params = {code: ParameterInfo(code, unit) for code, unit in lookups.parameter_units(conn).items()}
        result = transform(frame, mapping, set(visible), params, lookups.alias_resolver(conn),
                           lookups.convert_units, lookups.decode_text)
        rejects = _site_reason(result.rejects)

        conn.execute("SELECT set_config('ecomon.actor', %s, true), set_config('ecomon.change', %s, true)",
                     (principal.username, f"api push {batch_id}"))
        stored_path = archive_bytes(settings.archive_dir, raw, sha, f"push-{batch_id}.{kind}")
        raw_id = conn.execute(
            """INSERT INTO raw_input (sha256, name, channel, size_bytes, stored_path, received_by)
               VALUES (%s, %s, 'api', %s, %s, %s)
               ON CONFLICT (sha256) DO UPDATE SET name = raw_input.name RETURNING id""",
            (sha, f"push {batch_id}", len(raw), stored_path, principal.username)).fetchone()[0]
        ingest_id = conn.execute(
            """INSERT INTO ingest_log (raw_input_id, mapping, status, rows_total, by_user)
               VALUES (%s, %s, 'running', %s, %s) RETURNING id""",
            (raw_id, json.dumps(mapping.model_dump(mode="json")), result.rows_total, principal.username)).fetchone()[0]
        values = _with_series(conn, result.values, visible, interval).with_columns(
            pl.lit(raw_id, pl.Int64).alias("source_id"))
        counts = observations.merge(conn, values, channel="api", changed_by=principal.username,
                                    local_tz=settings.timezone)
        _store_rejects(conn, ingest_id, rejects)
        rows_rejected = rejects.select(pl.col("row_no").n_unique()).item() if rejects.height else 0
        outcome = {
            "batch_id": batch_id, "replayed": False, "ingest_id": ingest_id, "rows_total": result.rows_total,
            "rows_rejected": rows_rejected, "values_accepted": values.height, "values_rejected": rejects.height,
            "values_flagged": result.values_flagged, "values_changed": counts.changed,
            "errors": [{"row": r, "column": c, "value": v, "reason": why}
                       for r, c, v, why in rejects.head(ERRORS_SHOWN).iter_rows()],
            "errors_truncated": rejects.height > ERRORS_SHOWN,
        }
        conn.execute(
            """UPDATE ingest_log SET status = 'done', finished_at = now(), rows_rejected = %s, values_accepted = %s,
               values_rejected = %s, values_flagged = %s, values_changed = %s WHERE id = %s""",
            (rows_rejected, values.height, rejects.height, result.values_flagged, counts.changed, ingest_id))
        conn.execute("INSERT INTO push_batch (user_id, batch_id, sha256, raw_input_id, ingest_id, outcome) "
                     "VALUES (%s, %s, %s, %s, %s, %s)",
                     (principal.user_id, batch_id, sha, raw_id, ingest_id, json.dumps(outcome, ensure_ascii=False)))
        conn.execute("INSERT INTO audit_event (actor, action, target, detail) VALUES (%s, 'push.batch', %s, %s)",
                     (principal.username, f"ingest:{ingest_id}", json.dumps(
                         {"batch_id": batch_id, "accepted": values.height, "rejected": rejects.height})))
        conn.commit()
        return outcome


def _site_reason(rejects: pl.DataFrame) -> pl.DataFrame:
    """A site outside the caller's region is refused like an unknown one (its existence is not revealed)."""
    return rejects.rechunk().with_columns(   # pl.format over several chunks: see ingest/files/transform._rejects
        pl.when(pl.col("column_name") == "site")
        .then(pl.format("unknown site {}, or outside your region", pl.col("value").fill_null("(empty)")))
        .otherwise(pl.col("reason")).alias("reason"))
