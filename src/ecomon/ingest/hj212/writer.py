"""The durable writer: JetStream frame batches → PostgreSQL (raw_frame archive, observations, device_state).

Several bus messages are committed in one transaction; each is acknowledged only after that commit. A message
redelivered after a crash between commit and ack is recognised by its key in `gateway_batch` and only acked, and
observations go through `observations.merge` (idempotent), so every datum is stored once. Data frames of sites
that upper platforms receive are queued for forwarding in the same transaction (`forward.queue`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import nats
import polars as pl
import psycopg
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig

from ecomon.ingest.hj212.codec import Hj212Error, Packet, Version, decode
from ecomon.ingest.hj212.forward.queue import Stored
from ecomon.ingest.hj212.forward.queue import enqueue as enqueue_forwarding
from ecomon.ingest.hj212.gateway.rows import DATA_COMMANDS, packet_rows, to_frame
from ecomon.ingest.hj212.stream import (
    DEFAULT_STREAM,
    FRAMES_HEADER,
    FrameRecord,
    decode_batch,
    ensure_stream,
    subject,
)
from ecomon.store.observations import merge, series_ids

log = logging.getLogger("ecomon.hj212.writer")
CHANNEL = "hj212"
CHANGED_BY = "hj212-writer"
CONSUMER = "writer"
NAK_DELAY_S = 5.0
ACK_WAIT_S = 10.0  # a fetched batch not acked by then (writer died) is redelivered
BATCH_FRAMES = 2000  # frames gathered for one transaction (`gather`) ...
LINGER_S = 0.5  # ... or what came within this time of the first


class SeriesCache:
    """Series ids this writer has seen committed: a series row is never deleted or re-keyed, so after the first
    batch of a device only new factors go to `series_ids` (its temp-table COPY, upsert and join were a tenth of
    the database time per batch). Ids found in a transaction are kept only once it has committed, so a rolled
    back series insert is never cached."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, int, str], int] = {}
        self._found: dict[tuple[str, str, int, str], int] = {}

    def ids(self, conn: psycopg.Connection, keys: pl.DataFrame, interval: str, place: str) -> pl.DataFrame:
        """`series_ids` for (place, parameter) keys at one interval kind, asking the database only for new ones."""
        keys = keys.unique()
        pairs = list(zip(keys[place].to_list(), keys["parameter"].to_list(), strict=True))
        missing = [(p, code) for p, code in pairs if (place, interval, p, code) not in self._ids]
        if missing:
            found = series_ids(conn, pl.DataFrame(missing, schema={place: pl.Int64, "parameter": pl.Utf8},
                                                  orient="row"), interval, place)  # type: ignore[arg-type]
            for p, code, series_id in found.iter_rows():
                self._found[(place, interval, p, code)] = series_id
        known = {**self._ids, **self._found}
        return pl.DataFrame({place: [p for p, _ in pairs], "parameter": [code for _, code in pairs],
                             "series_id": [known[(place, interval, p, code)] for p, code in pairs]},
                            schema={place: pl.Int64, "parameter": pl.Utf8, "series_id": pl.Int32})

    def committed(self) -> None:
        self._ids.update(self._found)
        self._found.clear()

    def rolled_back(self) -> None:
        self._found.clear()


def store_batches(conn: psycopg.Connection, batches: Sequence[tuple[str, bytes]], local_tz: str,
                  series: SeriesCache | None = None) -> int:
    """Commit bus messages (key, payload) in one transaction; returns the number of frames newly stored."""
    series = series or SeriesCache()
    try:
        stored = _store(conn, batches, local_tz, series)
    except BaseException:
        series.rolled_back()
        raise
    series.committed()
    return stored


def _store(conn: psycopg.Connection, batches: Sequence[tuple[str, bytes]], local_tz: str, series: SeriesCache
           ) -> int:
    with conn.transaction(), conn.cursor() as cur:
        decoded = {key: decode_batch(payload) for key, payload in batches}
        cur.execute(  # one statement for all messages: the keys not stored before are the fresh ones
            """INSERT INTO gateway_batch (batch_key, frames) SELECT * FROM unnest(%s::text[], %s::integer[])
               ORDER BY 1 ON CONFLICT DO NOTHING RETURNING batch_key""",
            (list(decoded), [len(records) for records in decoded.values()]))
        new_keys = {row[0] for row in cur.fetchall()}
        fresh = [r for key, records in decoded.items() if key in new_keys for r in records]
        if not fresh:
            return 0
        cur.execute("SELECT nextval('raw_frame_id_seq') FROM generate_series(1, %s)", (len(fresh),))
        ids = [r[0] for r in cur.fetchall()]
        known = frozenset(r[0] for r in cur.execute("SELECT code FROM parameter").fetchall())
        rows: list[tuple] = []
        notes: list[str | None] = []
        forwardable: list[Stored] = []
        for source_id, record in zip(ids, fresh, strict=True):
            note = record.note
            placed = record.site_id is not None or record.outlet_id is not None
            if record.reject_reason is None and record.cn in DATA_COMMANDS and placed:
                packet, found, extra = _rows_of(record, source_id, known)
                rows.extend(found)
                note = "; ".join(n for n in (note, extra) if n) or None
                if packet is not None:  # a decoded packet (cp) is queued itself, else the archived frame is re-read
                    forwardable.append(Stored(record.site_id, record.outlet_id, source_id, packet,
                                              record.cp is not None))
            notes.append(note)
        _copy_raw_frames(cur, ids, fresh, notes)
        _merge_rows(conn, to_frame(rows, local_tz), local_tz, series)
        _update_device_state(cur, fresh)
        enqueue_forwarding(cur, forwardable)
    return len(fresh)


def _rows_of(record: FrameRecord, source_id: int, known: frozenset[str]
             ) -> tuple[Packet | None, list[tuple], str | None]:
    if record.cp is not None:  # decrypted or reassembled by the gateway
        header = {"CN": record.cn or "", **({"MN": record.mn} if record.mn else {}), **(record.header or {})}
        packet = Packet(header, record.cp, Version.HJ212_2017)
    else:
        try:
            packet = decode(record.frame_bytes, lenient=True)
        except Hj212Error as exc:  # the gateway accepted it, so only a codec change between the two gets here
            return None, [], f"no observations: {exc}"
    found = packet_rows(packet, record.site_id, source_id, known, record.outlet_id)
    return packet, found.rows, found.note


def _copy_raw_frames(cur: psycopg.Cursor, ids: list[int], records: list[FrameRecord], notes: list[str | None]
                     ) -> None:
    with cur.copy("COPY raw_frame (id, received_at, peer, connection_id, device_id, mn, cn, frame, reject_reason,"
                  " note) FROM STDIN") as copy:
        for source_id, r, note in zip(ids, records, notes, strict=True):
            copy.write_row((source_id, r.received_at, r.peer, r.connection_id, r.device_id, r.mn, r.cn,
                            r.frame_bytes, r.reject_reason, note))


def _merge_rows(conn: psycopg.Connection, frame: pl.DataFrame, local_tz: str, series: SeriesCache) -> None:
    for (interval, at_outlet), part in frame.group_by("interval", pl.col("outlet_id").is_not_null()):
        place = "outlet_id" if at_outlet else "site_id"  # CEMS devices feed outlet series
        ids = series.ids(conn, part.select(place, "parameter"), str(interval), place)
        staged = (part.join(ids, on=[place, "parameter"])
                  .with_columns(qc_flag=pl.lit(2, pl.Int16)))
        merge(conn, staged, channel=CHANNEL, changed_by=CHANGED_BY, local_tz=local_tz)


def _update_device_state(cur: psycopg.Cursor, records: list[FrameRecord]) -> None:
    state: dict[int, list] = {}
    for r in records:
        if r.device_id is None:
            continue
        entry = state.setdefault(r.device_id, [r.received_at, r.peer, r.cn, 0, 0])
        if r.received_at >= entry[0]:
            entry[0:3] = [r.received_at, r.peer, r.cn]
        entry[3] += 1
        entry[4] += r.reject_reason is not None
    if not state:
        return
    columns = list(zip(*((device_id, *e) for device_id, e in sorted(state.items())), strict=True))
    cur.execute(  # one statement for the batch (one per device took 100 round trips a batch)
        """INSERT INTO device_state AS d (device_id, last_seen, last_peer, last_cn, frames_total, frames_rejected)
           SELECT * FROM unnest(%s::bigint[], %s::text[]::timestamptz[], %s::text[], %s::text[], %s::bigint[],
                                %s::bigint[])
           ON CONFLICT (device_id) DO UPDATE SET
               last_seen = greatest(d.last_seen, excluded.last_seen),
               last_peer = CASE WHEN excluded.last_seen >= d.last_seen THEN excluded.last_peer ELSE d.last_peer END,
               last_cn = CASE WHEN excluded.last_seen >= d.last_seen THEN excluded.last_cn ELSE d.last_cn END,
               frames_total = d.frames_total + excluded.frames_total,
               frames_rejected = d.frames_rejected + excluded.frames_rejected""",
        [list(c) for c in columns])


def _key(msg: Msg) -> str:
    return (msg.headers or {}).get("Nats-Msg-Id") or f"seq-{msg.metadata.sequence.stream}"


async def _commit(conn: psycopg.Connection, database_url: str, msgs: list[Msg], local_tz: str,
                  series: SeriesCache) -> psycopg.Connection:
    """Commit and ack `msgs` together; if that fails, one by one, so a message the database refuses (say, a
    deleted site) is retried later on its own and does not hold back the others. Returns the live connection."""
    from ecomon.store.db import connect

    groups = [msgs]
    while groups:
        group = groups.pop()
        try:
            stored = await asyncio.to_thread(store_batches, conn, [(_key(m), m.data) for m in group], local_tz,
                                             series)
        except psycopg.Error:
            if conn.closed:
                conn = connect(database_url)
            if len(group) > 1:
                groups.extend([m] for m in group)
                continue
            log.exception("bus message %s could not be stored; redelivered in %.0f s", _key(group[0]), NAK_DELAY_S)
            await group[0].nak(delay=NAK_DELAY_S)
            continue
        for m in group:  # a lost ack only means a redelivery, which gateway_batch recognises: no round trip
            await m.ack()
        log.debug("stored %d frames from %d messages", stored, len(group))
    return conn


def _frames(msg: Msg) -> int:
    count = (msg.headers or {}).get(FRAMES_HEADER)
    return int(count) if count else msg.data.count(b"\n") + 1  # older gateways: JSON lines, one frame each


async def gather(sub: JetStreamContext.PullSubscription, *, fetch: int, frames: int, linger_s: float
                 ) -> list[Msg]:
    """Messages for one transaction: fetched until they hold `frames` frames or `linger_s` has passed since the
    first arrived. Large transactions are what make the writer cheap: each batch costs a fixed set of statements
    and a commit, and touches each (series, day) of its rows once for the QC queue, the latest values, the dirty
    days and the audit record, whatever the number of rows (bench/hj212_writer.py: 270 frames per transaction cost
    2.4x the CPU per packet of 2,500). Devices are ACKed once the gateway's message is on the stream, so this
    delays only the commit to PostgreSQL, never an ACK."""
    loop = asyncio.get_running_loop()
    msgs: list[Msg] = []
    held, deadline = 0, None
    while held < frames:
        wait = 1.0 if deadline is None else deadline - loop.time()
        if wait <= 0:
            break
        try:
            got = await sub.fetch(fetch, timeout=wait)
        except (NatsTimeout, TimeoutError):  # nats-py raises either, depending on where it waited
            if msgs:
                break
            continue
        msgs += got
        held += sum(_frames(m) for m in got)
        deadline = deadline or loop.time() + linger_s
    return msgs


async def run_writer(nats_url: str, database_url: str, *, stream: str = DEFAULT_STREAM, local_tz: str,
                     fetch: int = 256, batch_frames: int = BATCH_FRAMES, linger_s: float = LINGER_S,
                     stop: asyncio.Event | None = None) -> None:
    """Consume until `stop` is set: gather messages (`gather`), commit them together, then ack each. The next
    batch is gathered while the database commits the current one (one batch ahead, well inside ACK_WAIT_S).
    Several writer processes may consume the same durable consumer: each message goes to one of them."""
    from ecomon.store.db import connect

    stop = stop or asyncio.Event()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, stream)
    sub = await js.pull_subscribe(subject(stream), durable=CONSUMER, stream=stream,
                                 config=ConsumerConfig(ack_wait=ACK_WAIT_S))
    ahead: asyncio.Queue[list[Msg]] = asyncio.Queue(maxsize=1)

    async def fetch_ahead() -> None:
        while not stop.is_set():
            await ahead.put(await gather(sub, fetch=fetch, frames=batch_frames, linger_s=linger_s))

    fetcher = asyncio.create_task(fetch_ahead())
    conn = connect(database_url)
    series = SeriesCache()
    try:
        while not stop.is_set():
            try:
                msgs = await asyncio.wait_for(ahead.get(), 1.0)
            except TimeoutError:
                if fetcher.done():
                    fetcher.result()  # the fetch loop failed: raise its error
                continue
            conn = await _commit(conn, database_url, msgs, local_tz, series)
    finally:
        fetcher.cancel()
        await asyncio.gather(fetcher, return_exceptions=True)  # before the connection it fetches on closes
        conn.close()
        await nc.close()  # unacked messages are redelivered to the next writer; nothing to drain
