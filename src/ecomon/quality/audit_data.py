"""Verify the observations themselves against the audit chain, not only the chain.

A row edited or deleted with triggers disabled (`session_replication_role = replica`, behind the application's
back) leaves the chain intact. Every statement that writes observations commits, in its chained record, to the
state it leaves in each (series, UTC day) it touched: the row count and the SHA-256 of all rows of that day in
time order, obs-v2 row form, followed by the day's superseded versions from `observation_history` (migration 0014
`observation_day_state`, the record's "days_sha256"). Checking is then
exact whatever happened to a day before — QC flags and review states change rows in place without history, so
the rows a past statement wrote cannot always be rebuilt, but the newest state of a day must equal the day as
stored now:

1. the day states are recomputed against the chained records that commit to them (a state table edited to match
   tampered rows is caught here);
2. the stored rows of every day in the range are hashed here, in Python, from their raw binary values (no
   database function trusted), and compared with the newest state of that day.

Days still being written (queued in `observation_day_pending`, sealed once closed, migration 0015) are checked
up to the cut of their provisional state (migration 0019): each pass of the QC worker records, for every open day
with rows since, the count and digest of its rows below a cut just after its newest row, and chains the whole set
of such states. Verify recomputes the set's commitment, then hashes the stored rows below each cut — unless a
statement chained after the pass may have changed the series' rows below it (a late append, a QC flag): such a
day stays "open" until the next pass, so legitimate late data are never reported as tampering.

Days stored before migration 0014 are covered from its baseline record on.
"""

from __future__ import annotations

import hashlib
import struct
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

import psycopg
from psycopg import sql

from ecomon.store.observations import DIGEST_COLUMNS

_DAY0 = date(2000, 1, 1)                # PostgreSQL's epoch: timestamptz octets count µs from it
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000                # provisional states hash open days in UTC hour blocks (migration 0019)
_US = timedelta(microseconds=1)
OPEN_SEAL = "observation.seal.open"     # the QC worker's pass over open days (migration 0019)


@dataclass(frozen=True)
class State:
    series_id: int
    day: date
    seq: int
    n: int
    digest: bytes


@dataclass(frozen=True)
class OpenState:
    """The provisional state of an open day: n rows with t < t_cut, and per UTC hour up to the cut's
    int4 n | SHA-256 of the hour's rows and superseded versions below the cut (migration 0019)."""

    series_id: int
    day: date
    seq: int                  # the pass record whose set holds it (the newest)
    t_cut: datetime
    n: int
    blocks: bytes

    @property
    def cut_us(self) -> int:
        return (self.t_cut - _EPOCH) // _US


@dataclass(frozen=True)
class DataProblem:
    """kind: edited | deleted | inserted (rows of a day) or state (the day-state table vs its chained record)."""

    kind: str
    seq: int | None
    series_id: int | None
    day: date | None
    message: str


@dataclass
class DataReport:
    records: int = 0
    days: int = 0
    rows: int = 0
    superseded: int = 0           # versions in observation_history hashed with their days
    open: int = 0                 # series-days still being written and not checkable now (migration 0015)
    open_checked: int = 0         # open series-days checked below the cut of their provisional state (0019)
    open_rows: int = 0            # rows below those cuts
    seconds: float = 0.0
    problems: list[DataProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> DataProblem | None:
        """The problem of the earliest statement (state problems first: they undermine the rest)."""
        return min(self.problems, key=lambda p: (p.kind != "state", p.seq is None, p.seq or 0, p.series_id or 0,
                                                 p.day or _DAY0), default=None)


def state_commitment(states: list[State]) -> str:
    """The record's "days_sha256" over its states (migration 0014 `observation_state_entry`), hex."""
    h = hashlib.sha256()
    for s in sorted(states, key=lambda s: (s.series_id, s.day)):
        h.update(struct.pack(">iii", s.series_id, (s.day - _DAY0).days, s.n) + s.digest)
    return h.hexdigest()


def open_commitment(states: list[OpenState]) -> str:
    """The pass record's "open_sha256" over the set of open-day states (migration 0019
    `observation_open_entry`), hex."""
    h = hashlib.sha256()
    for s in sorted(states, key=lambda s: (s.series_id, s.day)):
        h.update(struct.pack(">iiqi", s.series_id, (s.day - _DAY0).days, s.cut_us, s.n)
                 + hashlib.sha256(s.blocks).digest())
    return h.hexdigest()


def _bounds(since: date | None, until: date | None) -> tuple[datetime, datetime]:
    lo = datetime.combine(since or date(1, 1, 2), time(), UTC)
    hi = datetime.combine(until + timedelta(days=1), time(), UTC) if until else datetime(9999, 12, 31, tzinfo=UTC)
    return lo, hi


def _records(conn: psycopg.Connection, lo: datetime, hi: datetime) -> dict[int, tuple[str, str, str, int]]:
    """Chained records with day states whose time span meets [lo, hi): seq → (days_sha256, action, actor/at, days)."""
    rows = conn.execute(
        """SELECT seq, detail->>'days_sha256', action, actor || ' at ' || to_char(at AT TIME ZONE 'UTC',
                  'YYYY-MM-DD HH24:MI:SS') || ' UTC', (detail->>'days')::integer
           FROM audit_event WHERE detail ? 'days_sha256'
             AND (detail->>'t_max')::timestamptz >= %s AND (detail->>'t_min')::timestamptz < %s""",
        (lo, hi)).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def _states(conn: psycopg.Connection, seqs: list[int], lo: datetime, hi: datetime, series: list[int] | None
            ) -> list[State]:
    """States of the given records, and any state in the range (one that belongs to no record is forged)."""
    cur = conn.execute(
        """SELECT series_id, day, seq, n, digest FROM observation_day_state
           WHERE seq = ANY(%s) OR (day >= %s AND day < %s AND (%s::integer[] IS NULL OR series_id = ANY(%s)))""",
        (seqs, lo.date(), hi.date(), series, series))
    return [State(r[0], r[1], r[2], r[3], bytes(r[4])) for r in cur]


def _open_days(conn: psycopg.Connection, lo: datetime, hi: datetime) -> set[tuple[int, date]]:
    """Days queued for sealing: their newest state, if any, predates rows written since."""
    rows = conn.execute("SELECT series_id, day FROM observation_day_pending WHERE day >= %s AND day < %s",
                        (lo.date(), hi.date())).fetchall()
    return {(r[0], r[1]) for r in rows}


def seal(conn: psycopg.Connection, actor: str, limit: int = 20_000) -> int:
    """The QC worker's audit step of every pass: provisional states of the open days with rows since the last
    pass (and a check of the days about to be sealed against theirs), then seal up to `limit` closed pending days;
    returns how many were sealed."""
    conn.execute("SELECT seal_open_days(%s, %s)", (actor, limit))
    return conn.execute("SELECT seal_observation_days(%s, %s)", (actor, limit)).fetchone()[0]


def _who(conn: psycopg.Connection, seq: int) -> str:
    row = conn.execute("SELECT actor || ' at ' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' "
                       "FROM audit_event WHERE seq = %s", (seq,)).fetchone()
    return row[0] if row else "?"


def _open_states(conn: psycopg.Connection, report: DataReport) -> tuple[int, list[OpenState]]:
    """The newest pass record's seq (0 if none) and the current open-day states, checked against its commitment
    (a state table edited to match tampered rows → state problem; its states are then not used)."""
    head = conn.execute(f"SELECT seq, detail FROM audit_event WHERE action = '{OPEN_SEAL}' "
                        "ORDER BY seq DESC LIMIT 1").fetchone()
    seq, detail = head if head else (0, {"open_days": 0, "open_sha256": open_commitment([])})
    states = [OpenState(r[0], r[1], seq, r[2], r[3], bytes(r[4])) for r in conn.execute(
        "SELECT series_id, day, t_cut, n, blocks FROM observation_open_state")]
    if (len(states), open_commitment(states)) != (detail["open_days"], detail["open_sha256"]):
        report.problems.append(DataProblem(
            "state", seq or None, None, None,
            f"the provisional states of open days no longer match pass record seq {seq} ({_who(conn, seq)}): "
            f"{len(states)} stored, {detail['open_days']} chained (the open-state table was edited)"))
        return seq, []
    return seq, states


def _touched_since(conn: psycopg.Connection, after: int, states: list[OpenState]) -> set[tuple[int, date]]:
    """Open days whose rows below the cut a statement chained after record `after` may have changed: one with
    day states of its own that has a state for the day, or a loader record without (an append) whose time span
    meets [day start, cut) — the rule the pass itself recomputes by (migration 0019)."""
    if not states:
        return set()
    later = conn.execute(
        """SELECT seq, detail ? 'days_sha256', coalesce((detail->>'t_min')::timestamptz, '-infinity'),
                  coalesce((detail->>'t_max')::timestamptz, 'infinity')
           FROM audit_event WHERE seq > %s AND action LIKE 'observation.%%' AND action NOT LIKE 'observation.seal%%'
             AND action <> 'observation.baseline'""", (after,)).fetchall()
    if not later:
        return set()
    own = {(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT series_id, day, seq FROM observation_day_state WHERE seq = ANY(%s)",
        ([r[0] for r in later if r[1]],))}
    touched = set()
    for s in states:
        start = datetime.combine(s.day, time(), UTC)
        for seq, has_states, t_min, t_max in later:
            if t_min < s.t_cut and t_max >= start and (not has_states or (s.series_id, s.day, seq) in own):
                touched.add((s.series_id, s.day))
                break
    return touched


def _chained_open_problems(conn: psycopg.Connection, lo: datetime, hi: datetime, series: list[int] | None,
                           names: dict[int, str]) -> list[DataProblem]:
    """Problems a pass found and chained: a state table edited between passes, rows changed below the previous
    cut before the pass re-read them (the hour of the cut) or sealed their day."""
    out = []
    for seq, detail, who in conn.execute(
            f"""SELECT seq, detail, actor || ' at ' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
                       || ' UTC'
                FROM audit_event WHERE action = '{OPEN_SEAL}' AND (detail ? 'forged' OR detail ? 'mismatched')
                ORDER BY seq"""):
        if "forged" in detail:
            out.append(DataProblem(
                "state", seq, None, None,
                f"pass record seq {seq} ({who}) found the provisional states of open days edited (they no longer "
                f"matched record seq {detail['forged'].get('previous')}) and rebuilt them from the rows as stored"))
        for series_id, day_text, n_sealed, n_now in detail.get("mismatches", []):
            day = date.fromisoformat(day_text)
            if not lo.date() <= day < hi.date() or (series is not None and series_id not in series):
                continue
            kind = "edited" if n_now == n_sealed else ("deleted" if n_now < n_sealed else "inserted")
            out.append(DataProblem(
                kind, seq, series_id, day,
                f"{names.get(series_id, f'series {series_id}')} on {day} (UTC): pass record seq {seq} ({who}) "
                f"found the rows below the previous pass's cut changed with no chained statement (before it "
                f"re-read or sealed them) — {n_now} row(s) stored, {n_sealed} at the previous pass"))
        if detail.get("mismatched", 0) > len(detail.get("mismatches", [])):
            out.append(DataProblem(
                "edited", seq, None, None, f"pass record seq {seq} ({who}): {detail['mismatched']} day(s) changed "
                                           "below the previous pass's cut (first 100 listed)"))
    return out


def _series_names(conn: psycopg.Connection) -> dict[int, str]:
    rows = conn.execute(
        """SELECT s.id, coalesce(si.code, 'outlet ' || o.code) || '/' || s.parameter_code || ' (' || s.interval_kind
                  || ', series ' || s.id || ')'
           FROM series s LEFT JOIN site si ON si.id = s.site_id LEFT JOIN outlet o ON o.id = s.outlet_id""").fetchall()
    return dict(rows)


HISTORY_COLUMNS = (*DIGEST_COLUMNS, "superseded_at", "superseded_by")


def _copy(table: str, columns: tuple[str, ...], order: str, lo: datetime, hi: datetime, series: list[int] | None
          ) -> sql.Composed:
    return sql.SQL("COPY (SELECT {} FROM {} WHERE t >= {} AND t < {}{} ORDER BY {}) TO STDOUT (FORMAT binary)").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table), sql.Literal(lo), sql.Literal(hi),
        sql.SQL(" AND series_id = ANY({})").format(sql.Literal(series)) if series is not None else sql.SQL(""),
        sql.SQL(order))


def _history(conn: psycopg.Connection, lo: datetime, hi: datetime, series: list[int] | None
             ) -> tuple[dict[tuple[bytes, int], list[tuple[int, bytes]]], int]:
    """The superseded versions per (series octets, day number) as (t µs, bytes) in (t, version, superseded_at)
    order: obs-v2 form ‖ int8 superseded_at ‖ int2 octet length + UTF-8 superseded_by (migration 0014)."""
    out: dict[tuple[bytes, int], list[tuple[int, bytes]]] = defaultdict(list)
    query = _copy("observation_history", HISTORY_COLUMNS, "series_id, t, version, superseded_at", lo, hi, series)
    with conn.cursor() as cur, cur.copy(query) as copy:
        for series_id, t, row, rest in _binary_rows(copy):
            at = bytes(rest[4:12])
            by_len = int.from_bytes(rest[12:16], "big")
            t_us = int.from_bytes(t, "big", signed=True)
            out[(series_id, t_us // _DAY_US)].append(
                (t_us, row + at + by_len.to_bytes(2, "big") + bytes(rest[16:16 + by_len])))
    return out, sum(len(parts) for parts in out.values())


def _stored_days(conn: psycopg.Connection, lo: datetime, hi: datetime, series: list[int] | None,
                 history: dict[tuple[bytes, int], list[tuple[int, bytes]]],
                 cuts: dict[tuple[bytes, int], int] | None = None) -> Iterator[tuple[int, date, int, str]]:
    """(series_id, UTC day, rows, state digest hex) of every stored day in the range, hashed here.

    The rows arrive as binary COPY, whose fields are already the big-endian forms obs-v2 hashes (int4 series,
    int8 µs since 2000, float8, text octets, int2 flags), so each row's bytes are cut from the stream without
    building Python values — the same bytes as `store.observations.batch_digest` (tests compare both). The day's
    superseded versions (`_history`) follow its rows. A day in `cuts` (open, with a provisional state; cut in µs
    since 2000) counts only its rows below the cut and yields its hour-block entries instead of a digest (hex).
    """
    cuts = cuts or {}
    key: tuple[bytes, int] | None = None
    cut: int | None = None
    blocks: dict[int, list] = {}
    n, digest = 0, hashlib.sha256()
    query = _copy("observation", DIGEST_COLUMNS, "series_id, t", lo, hi, series)
    with conn.cursor() as cur, cur.copy(query) as copy:
        for series_id, t, row, _ in _binary_rows(copy):
            t_us = int.from_bytes(t, "big", signed=True)
            row_key = (series_id, t_us // _DAY_US)
            if row_key != key:
                if key is not None:
                    yield _day(key, n, digest, history, cut, blocks)
                key, n, digest = row_key, 0, hashlib.sha256()
                cut, blocks = cuts.get(key), {}
            if cut is None:
                n += 1
                digest.update(row)
            elif t_us < cut:
                n += 1
                entry = _block(blocks, key, t_us)
                entry[0] += 1
                entry[1].update(row)
    if key is not None:
        yield _day(key, n, digest, history, cut, blocks)


def _block(blocks: dict[int, list], key: tuple[bytes, int], t_us: int) -> list:
    """[rows, SHA-256] of the UTC hour of the day `key` that holds t."""
    return blocks.setdefault((t_us - key[1] * _DAY_US) // _HOUR_US, [0, hashlib.sha256()])


def _day(key: tuple[bytes, int], n: int, digest: hashlib._Hash,
         history: dict[tuple[bytes, int], list[tuple[int, bytes]]], cut: int | None, blocks: dict[int, list]
         ) -> tuple[int, date, int, str]:
    day = _DAY0 + timedelta(days=key[1])
    series_id = int.from_bytes(key[0], "big", signed=True)
    if cut is None:
        for _, b in history.get(key, ()):
            digest.update(b)
        return series_id, day, n, digest.hexdigest()
    for t_us, b in history.get(key, ()):
        if t_us < cut:
            _block(blocks, key, t_us)[1].update(b)
    last = min(23, (cut - 1 - key[1] * _DAY_US) // _HOUR_US)
    empty = [0, hashlib.sha256()]
    return series_id, day, n, b"".join(struct.pack(">i", blocks.get(b, empty)[0]) + blocks.get(b, empty)[1].digest()
                                       for b in range(last + 1)).hex()


def _binary_rows(copy: psycopg.Copy) -> Iterator[tuple[bytes, bytes, bytes, memoryview]]:
    """(series_id octets, t octets, obs-v2 row bytes, the fields after version) per tuple of a binary COPY whose
    first columns are DIGEST_COLUMNS.

    The server sends each row of COPY TO as one CopyData message (PostgreSQL protocol, "COPY Operations"); the
    first also carries the file header (signature, flags, extension length + extension), the last the trailer.
    """
    first = True
    for chunk in copy:
        row = memoryview(chunk)
        if first:
            row, first = row[19 + int.from_bytes(row[15:19], "big"):], False
        if len(row) < 22:                                      # the trailer (field count -1)
            continue
        series_id, t = bytes(row[6:10]), bytes(row[14:22])
        if row[22:26] == b"\xff\xff\xff\xff":
            value, q = b"\x00", 26
        else:
            value, q = b"\x01" + row[26:34], 34
        flen = int.from_bytes(row[q:q + 4], "big", signed=True)
        if flen < 0:
            flag, q = b"\xff\xff", q + 4
        else:
            flag, q = flen.to_bytes(2, "big") + row[q + 4:q + 4 + flen], q + 4 + flen
        yield series_id, t, b"".join((series_id, t, value, flag, b"\x00\x00", row[q + 4:q + 6], row[q + 10:q + 12],
                                      row[q + 16:q + 18])), row[q + 18:]


def verify_data(conn: psycopg.Connection, since: date | None = None, until: date | None = None,
                site: str | None = None) -> DataReport:
    """Check the stored observations of UTC days since..until (inclusive; all when None), optionally of one site
    code, against the day states their chained records commit to; every problem found, `first` the earliest.

    Reads in one REPEATABLE READ snapshot when the connection is idle (states, records and rows of the same
    moment while writers and the QC worker go on), ended here."""
    own = not conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    if own:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    try:
        return _verify(conn, since, until, site)
    finally:
        if own:
            conn.rollback()


def _verify(conn: psycopg.Connection, since: date | None, until: date | None, site: str | None) -> DataReport:
    started = perf_counter()
    lo, hi = _bounds(since, until)
    series = None
    if site is not None:
        series = [r[0] for r in conn.execute("SELECT s.id FROM series s JOIN site si ON si.id = s.site_id "
                                             "WHERE si.code = %s", (site,)).fetchall()]
        if not series:
            raise ValueError(f"unknown site code or no series: {site}")
    report = DataReport()
    records = _records(conn, lo, hi)
    states = _states(conn, list(records), lo, hi, series)
    names = _series_names(conn)
    report.records = len(records)
    by_seq: dict[int, list[State]] = defaultdict(list)
    for s in states:
        by_seq[s.seq].append(s)
    for seq, (committed, action, who, days) in records.items():
        mine = by_seq.get(seq, [])
        if len(mine) != days or state_commitment(mine) != committed:
            report.problems.append(DataProblem(
                "state", seq, None, None, f"the day states of record seq {seq} ({action} by {who}) no longer match "
                                          f"the record ({len(mine)} of {days} days; the state table was edited)"))
    for seq, mine in by_seq.items():
        if seq not in records and any(lo.date() <= s.day < hi.date() for s in mine):
            s = mine[0]
            report.problems.append(DataProblem(
                "state", seq, s.series_id, s.day, f"day states under seq {seq} belong to no chained record with "
                                                  "day states (inserted into the state table)"))
    newest: dict[tuple[int, date], State] = {}
    for s in states:
        if lo.date() <= s.day < hi.date() and (series is None or s.series_id in series):
            key = (s.series_id, s.day)
            if key not in newest or s.seq > newest[key].seq:
                newest[key] = s
    open_days = _open_days(conn, lo, hi)
    for key in open_days:
        newest.pop(key, None)
    report.problems += _chained_open_problems(conn, lo, hi, series, names)
    pass_seq, open_states = _open_states(conn, report)
    touched = _touched_since(conn, pass_seq, open_states)
    provisional = {(s.series_id, s.day): s for s in open_states
                   if (s.series_id, s.day) in open_days and (s.series_id, s.day) not in touched}
    cuts = {(struct.pack(">i", s.series_id), (s.day - _DAY0).days): s.cut_us for s in provisional.values()}
    history, report.superseded = _history(conn, lo, hi, series)
    changed: list[tuple[OpenState, str, int, bytes]] = []      # named after the stream (no query during the COPY)
    for series_id, day, n, digest in _stored_days(conn, lo, hi, series, history, cuts):
        name = names.get(series_id, f"series {series_id}")
        if (series_id, day) in open_days:
            state = provisional.pop((series_id, day), None)
            if state is None:
                report.open += 1
            else:
                report.open_checked += 1
                report.open_rows += n
                if (n, digest) != (state.n, state.blocks.hex()):
                    changed.append((state, name, n, bytes.fromhex(digest)))
            continue
        report.days += 1
        report.rows += n
        expected = newest.pop((series_id, day), None)
        if expected is None:
            report.problems.append(DataProblem(
                "inserted", None, series_id, day, f"{name} on {day} (UTC): {n} stored row(s) that no audited "
                                                  "statement wrote (written around the application)"))
        elif (n, digest) != (expected.n, expected.digest.hex()):
            who = records.get(expected.seq, ("", "", "", 0))
            kind = "edited" if n == expected.n else ("deleted" if n < expected.n else "inserted")
            report.problems.append(DataProblem(
                kind, expected.seq, series_id, day,
                f"{name} on {day} (UTC, {day}T00:00Z–{day + timedelta(days=1)}T00:00Z): the stored rows no longer "
                f"match what record seq {expected.seq} ({who[1]} by {who[2]}) left — {n} row(s) stored, "
                f"{expected.n} written" + (", values, flags or superseded versions changed" if kind == "edited" else "")))
    for (series_id, day), expected in newest.items():
        who = records.get(expected.seq, ("", "", "", 0))
        report.problems.append(DataProblem(
            "deleted", expected.seq, series_id, day,
            f"{names.get(series_id, f'series {series_id}')} on {day} (UTC): all {expected.n} row(s) that record "
            f"seq {expected.seq} ({who[1]} by {who[2]}) left are gone"))
    for state in provisional.values():          # open days with a state whose stored rows are all gone
        if series is None or state.series_id in series:
            report.open_checked += 1
            if state.n:
                changed.append((state, names.get(state.series_id, f"series {state.series_id}"), 0, b""))
    report.problems += [_open_problem(conn, *args) for args in changed]
    report.seconds = perf_counter() - started
    return report


def _open_problem(conn: psycopg.Connection, state: OpenState, name: str, n: int, blocks: bytes) -> DataProblem:
    """A day stored now unlike its provisional state below the cut, named down to the first differing hour."""
    kind = "edited" if n == state.n else ("deleted" if n < state.n else "inserted")
    hour = next((b for b in range(len(state.blocks) // 36)
                 if blocks[36 * b:36 * b + 36] != state.blocks[36 * b:36 * b + 36]), 0)
    return DataProblem(
        kind, state.seq, state.series_id, state.day,
        f"{name} on {state.day} (UTC, open day): the rows stored before {state.t_cut.astimezone(UTC):%H:%M:%S} UTC no "
        f"longer match the provisional state of pass record seq {state.seq} ({OPEN_SEAL} by {_who(conn, state.seq)})"
        f", first in {hour:02d}:00–{hour + 1:02d}:00 UTC — {n} row(s) stored, {state.n} at the pass"
        + (", values, flags or superseded versions changed" if kind == "edited" else ""))
