"""Periodic gap scan for the devices connected to this gateway: notice holes in their minute and hour data, ask
for each hole with a history request (2051/2061 BeginTime/EndTime, HJ 212-2017 §6.5.3), and close the request
as `filled` once the re-sent data is stored (idempotently, by the writer) or `unfilled` after the attempts.

A hole must be seen on two consecutive scans before it is requested, so data still on its way through the bus is
not asked for twice.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from ecomon.ingest.hj212.session.config import SessionConfig
from ecomon.ingest.hj212.session.dispatch import Db, Link
from ecomon.ingest.hj212.session.gaps import DEFAULT_STEP, HISTORY_CN, Gap, find_gaps, history_cp, usual_step
from ecomon.ingest.hj212.session.store import SessionStore

log = logging.getLogger("ecomon.hj212.session")
ORIGIN = "gap"
BY = "hj212-gateway"


def _overlaps(gap: Gap, begin: datetime, end: datetime) -> bool:
    return gap.begin <= end and begin <= gap.end


class GapScanner:
    def __init__(self, db: Db, config: SessionConfig, local_tz: str) -> None:
        self.db, self.config, self.local_tz = db, config, local_tz
        self._seen: set[tuple[int, str, datetime, datetime]] = set()  # holes seen on the previous scan

    async def scan(self, links: dict[int, Link], places: dict[int, tuple[str, int]]) -> None:
        """`places`: device id → ("site_id" or "outlet_id", id) for the connected devices."""
        seen_now: set[tuple[int, str, datetime, datetime]] = set()
        for device_id, place in places.items():
            if device_id not in links:
                continue
            for interval in ("minute", "hour"):
                for key in await self._scan_one(device_id, place, interval):
                    seen_now.add(key)
        self._seen = seen_now

    async def _scan_one(self, device_id: int, place: tuple[str, int], interval: str) -> list[tuple]:
        latest = await self.db(SessionStore.latest_time, place, interval)
        if latest is None:
            return []
        lookback = (timedelta(minutes=self.config.gap_lookback_minutes) if interval == "minute"
                    else timedelta(hours=self.config.gap_lookback_hours))
        times = await self.db(SessionStore.delivered_times, place, interval, latest - lookback, self.local_tz)
        step = usual_step(times, DEFAULT_STEP[interval])
        limit = self.config.gap_max_minutes if interval == "minute" else self.config.gap_max_hours
        gaps = find_gaps(times, step, limit)
        known = await self.db(SessionStore.known_gaps, device_id, interval)
        await self._close_known(known, gaps)
        keys = []
        for gap in gaps:
            key = (device_id, interval, gap.begin, gap.end)
            keys.append(key)
            entry = known.get((gap.begin, gap.end))
            if entry is None:
                if key in self._seen:
                    await self._request(device_id, interval, gap)
            elif entry[1] == "requested" and await self._retry_due(entry[0]):
                if entry[2] >= self.config.gap_attempts:
                    await self.db(SessionStore.close_gap, entry[0], "unfilled")
                    log.info("gap %s %s-%s of device %d still missing after %d requests", interval, gap.begin,
                             gap.end, device_id, entry[2])
                else:
                    await self._request(device_id, interval, gap)
        return keys

    async def _close_known(self, known: dict, gaps: list[Gap]) -> None:
        for (begin, end), (gap_id, state, _) in known.items():
            if state == "requested" and not any(_overlaps(g, begin, end) for g in gaps):
                await self.db(SessionStore.close_gap, gap_id, "filled")

    async def _retry_due(self, gap_id: int) -> bool:
        """The history command finished (or failed) a while ago and the hole is still there."""
        found = await self.db(SessionStore.gap_command_state, gap_id)
        if found is None:
            return True
        state, finished_at = found
        if state in ("queued", "sent", "accepted") or finished_at is None:
            return False
        return time.time() - finished_at.timestamp() > self.config.gap_settle_s

    async def _request(self, device_id: int, interval: str, gap: Gap) -> None:
        command_id = await self.db(SessionStore.queue, device_id, HISTORY_CN[interval], history_cp(gap), ORIGIN, BY)
        await self.db(SessionStore.request_gap, device_id, interval, gap.begin, gap.end, gap.missing, command_id)
        log.info("gap %s %s-%s (%d missing) of device %d: history requested (command %d)", interval, gap.begin,
                 gap.end, gap.missing, device_id, command_id)
