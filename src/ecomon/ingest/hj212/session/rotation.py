"""Scheduled SM4 key rotation (HJ 212-2025 §6.4.3: each device's key replaced at least every 90 days).

Part of the gateway's session upkeep rather than a service of its own: the 1014 set-key command only reaches a
device over its live connection, and the gateway is what knows which devices are connected now and holds the
installation key that seals the new one. Each gateway process checks only the devices it holds, so processes
scale out without sharing state; `keys.start_due_rotations` locks the device row, so a device briefly held by two
gateways still gets one rotation. The rotation itself is the manual one (`ecomon hj212 device rotate`): pending
key, 1014 under the current key, activation on ExeRtn=1 (`key_activated`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ecomon.ingest.hj212.session.config import SessionConfig
from ecomon.ingest.hj212.session.dispatch import Link
from ecomon.ingest.hj212.session.keys import StartedRotation, start_due_rotations
from ecomon.ingest.hj212.session.store import GATEWAY_BY, SessionStore

log = logging.getLogger("ecomon.hj212.session")
Db = Callable[..., Awaitable[Any]]
SCHEDULE_BY = f"{GATEWAY_BY}:schedule"


class RotationSchedule:
    def __init__(self, db: Db, config: SessionConfig, master_key: bytes | None) -> None:
        self.db, self.config, self.master_key = db, config, master_key

    async def check(self, links: Mapping[int, Link]) -> list[StartedRotation]:
        """Start the rotation of every connected device whose key is due; the dispatcher then sends the 1014."""
        encrypting = [device_id for device_id, link in links.items() if link.key is not None]
        if self.master_key is None or not encrypting:
            return []
        started = await self.db(_start_due, encrypting, self.master_key, self.config.key_rotation_age_days,
                                self.config.key_retry_s)
        for rotation in started:
            log.info("SM4 key of %s is %.1f days old: rotation started (command %d)", rotation.mn,
                     rotation.age_days, rotation.command_id)
        return started


def _start_due(store: SessionStore, device_ids: list[int], master: bytes, max_age_days: float, retry_s: float
               ) -> list[StartedRotation]:
    return start_due_rotations(store.conn, device_ids, master, max_age_days, retry_s, SCHEDULE_BY)
