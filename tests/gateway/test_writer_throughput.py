"""What makes the writer fast keeps its guarantees: the positional bus message reads back every frame exactly
(and older gateways' messages still read), the series-id cache never hands out an id whose creation was rolled
back, and several writer processes on the one durable consumer, one of them killed with SIGKILL mid-run, store
every acknowledged datum exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime

import polars as pl
import psycopg
import pytest
from gateway_support import (
    PASSWORD,
    Services,
    assert_exactly_once,
    frames_archived,
    free_port,
    register_stations,
    wait_for,
)

from ecomon.ingest.hj212.simulator import SimResult, simulate
from ecomon.ingest.hj212.stream import FrameRecord, decode_batch, encode_batch
from ecomon.ingest.hj212.writer import SeriesCache

# latin-1 text of raw bytes: CR LF, NUL, a quote, a backslash, U+0085 (NEL) and bytes that are not UTF-8
AWKWARD_FRAME = bytes([*b'##0010QN="\\', 0x00, 0x85, 0xE2, 0x80, 0xA8, 0xFF, *b"\r\n"]).decode("latin-1")


def record(**changes: object) -> FrameRecord:
    base = FrameRecord("2026-03-01T00:00:00.123456+00:00", "10.0.0.1:5000", "run-1", AWKWARD_FRAME, 7, 9,
                       "0102030405060708090A0B0C", "2051", None, "lenient: lowercase CRC", {"a34004-Avg": "中"},
                       None, {"QN": "20260301080000000"})
    return FrameRecord(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})


def test_bus_message_reads_back_every_record_exactly() -> None:
    records = [record(), record(device_id=None, site_id=None, reject_reason="undecodable: CRC", cp=None, header=None),
               record(outlet_id=3, site_id=None, note=None)]
    assert decode_batch(encode_batch(records)) == records
    assert decode_batch(encode_batch(records))[0].frame_bytes == AWKWARD_FRAME.encode("latin-1")


def test_json_lines_messages_of_older_gateways_are_still_read() -> None:
    records = [record(), record(peer="10.0.0.2:6000")]
    old = "\n".join(json.dumps({f: getattr(r, f) for f in r.__slots__}, ensure_ascii=False) for r in records)
    assert decode_batch(old.encode("utf-8")) == records


def test_a_message_listing_its_fields_in_another_order_is_read_by_name() -> None:
    r = record()
    names = list(reversed(r.__slots__))
    payload = json.dumps([names, [getattr(r, n) for n in names]]).encode("utf-8")
    assert decode_batch(payload) == [r]


@pytest.fixture()
def conn(gateway_env: dict[str, str]) -> Iterator[psycopg.Connection]:
    from ecomon.store.db import connect

    with connect(gateway_env["database_url"]) as c:
        yield c


def test_series_created_in_a_rolled_back_batch_are_not_cached(conn: psycopg.Connection,
                                                             gateway_env: dict[str, str]) -> None:
    sites = register_stations(gateway_env["database_url"], "7A", 2)
    keys = pl.DataFrame({"site_id": list(sites.values()), "parameter": ["a34004", "a21026"]})
    cache = SeriesCache()
    with conn.transaction(force_rollback=True):
        rolled_back = cache.ids(conn, keys, "minute", "site_id")
    cache.rolled_back()
    with conn.transaction():
        kept = cache.ids(conn, keys, "minute", "site_id")
    cache.committed()
    gone = set(rolled_back["series_id"]) - set(kept["series_id"])
    assert gone, "the series existed before; the test proves nothing"
    assert conn.execute("SELECT count(*) FROM series WHERE id = ANY(%s)", (list(gone),)).fetchone() == (0,)
    stored = conn.execute("SELECT site_id, parameter_code, id FROM series WHERE id = ANY(%s)",
                          (kept["series_id"].to_list(),)).fetchall()
    assert sorted(stored) == sorted(kept.iter_rows())
    conn.close()  # now known: the cache answers without the database
    assert cache.ids(conn, keys, "minute", "site_id").sort("site_id").equals(kept.sort("site_id"))


def data_frames(url: str, mns: list[str]) -> int:
    """Archived data uploads of these devices (answers to platform requests, e.g. a 1012, are frames too)."""
    with psycopg.connect(url) as c:
        row = c.execute("SELECT count(*) FROM raw_frame WHERE mn = ANY(%s) AND cn IN ('2051', '2061')",
                        (mns,)).fetchone()
    return int(row[0]) if row else 0


def test_two_writers_one_killed_mid_run_store_every_acked_datum_once(gateway_env: dict[str, str],
                                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    svc = Services(f"T{uuid.uuid4().hex[:12].upper()}", free_port(), tmp_path_factory.mktemp("writers"),
                   gateway_env["database_url"])
    svc.start_gateway()
    svc.start_writer()
    survivor = svc.writer
    svc.start_writer()  # a second process on the same durable consumer
    url = gateway_env["database_url"]
    try:
        sites = register_stations(url, "7B", 8)
        outcome: list[SimResult] = []
        run = threading.Thread(target=lambda: outcome.append(asyncio.run(simulate(
            "127.0.0.1", svc.port, devices=8, minutes=600, password=PASSWORD, mn_prefix="7B",
            start=datetime(2026, 3, 7, 0, 0)))))
        run.start()
        wait_for(lambda: frames_archived(url, list(sites)) > 60, 30, "writing to start")
        svc.kill_writer()  # the second; what it had fetched is redelivered to the survivor
        killed_at = frames_archived(url, list(sites))
        run.join(120)
        result = outcome[0]
        assert result.acked == result.sent == 8 * (600 + 10)  # 600 minute packets and 10 hour packets each
        assert killed_at < result.sent, "the writers finished before one was killed; the test proves nothing"
        uploads = result.sent + result.resent  # the platform may also ask for a window again (gap scan)
        wait_for(lambda: data_frames(url, list(sites)) >= uploads, 60, "the surviving writer to catch up")
        assert data_frames(url, list(sites)) == uploads
        assert_exactly_once(url, sites, result.acked_packets)
    finally:
        svc.stop()
        if survivor is not None and survivor.poll() is None:
            survivor.send_signal(signal.SIGTERM)
            survivor.wait(10)
