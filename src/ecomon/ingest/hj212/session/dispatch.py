"""Sending queued commands to connected devices and resolving them from the replies (HJ 212-2017 §6.2, §6.5).

One command at a time per device (the standard's request flow is sequential). A request not answered by 9011
within the reply timeout is sent again with the same QN, up to the retry count, then recorded as `timeout`;
an accepted request that goes quiet for the execution timeout is `timeout` too. A gateway restart leaves commands
in `sent`/`accepted`; whichever gateway then holds the device sends them again (same QN, so the device can tell).
A key (1014 NewSK) or password (1072 NewPW) is unsealed only to be sent; the final outcome of a 1072, whether a
reply or a timeout, settles the password change (session.credentials).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ecomon.ingest.hj212.codec import Packet, Version, encode
from ecomon.ingest.hj212.codec.flows import new_qn
from ecomon.ingest.hj212.session.config import SessionConfig
from ecomon.ingest.hj212.session.credentials import password_to_send, record_sent, settle
from ecomon.ingest.hj212.session.keys import DeviceKeyError
from ecomon.ingest.hj212.session.requests import Resolution, reply_qn, request_packet, resolve
from ecomon.ingest.hj212.session.store import GATEWAY_BY, OpenCommand, SessionStore

log = logging.getLogger("ecomon.hj212.session")
Db = Callable[..., Awaitable[Any]]  # db(fn, *args): run fn(store, *args) on the session store's thread


@dataclass
class Link:
    """A device's live, authenticated connection: where commands go and what to send them with."""

    device_id: int
    mn: str
    pw: str  # the PW the device logged in with (only its hash is stored)
    st: str
    version: Version
    connection_id: str
    write: Callable[[bytes], None]
    key: bytes | None = None
    pending_key: bytes | None = None


@dataclass
class _InFlight:
    command: OpenCommand
    link: Link
    qn: str
    sent_at: float
    active_at: float
    attempts: int
    accepted: bool = False
    new_pw: str | None = None  # 1072: the password the device switches to on success


Finished = Callable[[Link, OpenCommand, Resolution], Awaitable[None]]
Refresh = Callable[[Link], Awaitable[None]]


class CommandDispatcher:
    """`on_finished` runs after a command's final reply; `refresh_keys` re-reads a link's device (keys, accepted
    passwords) before a key is sent (the rotation was started elsewhere, e.g. by the CLI) and after a password
    change is settled. `master_key` unseals the NewPW of a password change."""

    def __init__(self, db: Db, config: SessionConfig, zone: ZoneInfo, on_finished: Finished,
                 refresh_keys: Refresh, master_key: bytes | None = None) -> None:
        self.db, self.config, self.zone, self.on_finished = db, config, zone, on_finished
        self.refresh_keys, self.master_key = refresh_keys, master_key
        self.links: dict[int, Link] = {}
        self._inflight: dict[int, _InFlight] = {}  # device id → its command in flight
        self._last_qn = datetime.min

    def next_qn(self) -> str:
        """A QN from the platform clock (local time, ms), strictly increasing so no two requests share one."""
        now = datetime.now(self.zone).replace(tzinfo=None)
        self._last_qn = max(now, self._last_qn + timedelta(milliseconds=1))
        return new_qn(self._last_qn)

    async def poll(self) -> None:
        """Send what is queued for connected devices, re-send or time out what is in flight."""
        if not self.links:
            return
        commands = await self.db(SessionStore.open_commands, list(self.links))
        now = time.monotonic()
        busy = set()
        for command in commands:
            link = self.links.get(command.device_id)
            if link is None or command.device_id in busy:
                continue
            busy.add(command.device_id)
            flight = self._inflight.get(command.device_id)
            if flight is None or flight.command.id != command.id:
                await self._send(link, command, command.qn, command.attempts)  # queued, or left by another run
            elif not flight.accepted and now - flight.sent_at > self.config.reply_timeout_s:
                if flight.attempts >= self.config.retries:
                    await self._finish(flight, "timeout", f"no 9011 after {flight.attempts} attempts")
                else:
                    await self._send(link, command, flight.qn, flight.attempts)
            elif flight.accepted and now - flight.active_at > self.config.exec_timeout_s:
                await self._finish(flight, "timeout", f"no 9012 within {self.config.exec_timeout_s:.0f} s")

    async def _send(self, link: Link, command: OpenCommand, qn: str | None, attempts: int) -> None:
        qn = qn or self.next_qn()
        cp = dict(command.cp)
        if command.origin == "key_rotation":
            await self.refresh_keys(link)
            if link.pending_key is None or link.key is None:
                await self.db(SessionStore.finish, command.id, "cancelled",
                              "no pending key, or no current key to protect it (set the first key at installation)")
                return
            cp["NewSK"] = link.pending_key.decode("ascii")
        new_pw = None
        if command.origin == "password_change":
            new_pw = await self.db(_password_to_send, command.id, self.master_key) if self.master_key else None
            if new_pw is None:
                await self._close(link, command, "cancelled", "no pending password change for this command "
                                  "(settled or superseded), or its password does not unseal on this gateway")
                return
            cp["NewPW"] = new_pw
        if command.origin == "time_calibration":  # the platform's time at sending (2017 §6.7 step 1, 1012)
            cp["SystemTime"] = datetime.now(self.zone).strftime("%Y%m%d%H%M%S")
        packet = request_packet(command.cn, cp, version=link.version, st=link.st, pw=link.pw, mn=link.mn, qn=qn)
        try:
            frame = encode(packet, key=link.key)
        except ValueError as exc:  # Hj212Error: the operator's CP does not make a conforming packet
            await self._close(link, command, "failed", f"cannot encode: {exc}")
            return
        if not await self.db(SessionStore.claim_send, command.id, attempts, qn, link.connection_id, cp):
            self._inflight.pop(link.device_id, None)  # another gateway sent it meanwhile
            return
        if new_pw is not None and attempts == 0:
            await self.db(_record_sent, command.id, link.connection_id)
        now = time.monotonic()
        self._inflight[link.device_id] = _InFlight(command, link, qn, now, now, attempts + 1, new_pw=new_pw)
        link.write(frame)
        log.info("sent CN %s (command %d, %s) to %s, attempt %d", command.cn, command.id, command.origin, link.mn,
                 attempts + 1)

    async def on_reply(self, link: Link, packet: Packet) -> bool:
        """A 9011/9012/9013 from the device; True if it answered the command in flight."""
        flight = self._inflight.get(link.device_id)
        if flight is None or reply_qn(packet) != flight.qn:
            return False
        outcome = resolve(packet, flight.command.cn)
        if outcome is None:
            return False
        flight.active_at = time.monotonic()
        flight.accepted = outcome.state == "accepted"
        await self.db(SessionStore.resolve, flight.command.id, outcome.state, outcome.qn_rtn, outcome.exe_rtn,
                      outcome.finished)
        if outcome.finished:
            del self._inflight[link.device_id]
            await self._settle_password(flight, outcome.state)
            await self.on_finished(link, flight.command, outcome)
        return True

    async def on_upload(self, link: Link, packet: Packet) -> None:
        """An upload with the command's CN: an answer (1011 SystemTime …) or a history record (2051 …)."""
        flight = self._inflight.get(link.device_id)
        if flight is None or packet.cn != flight.command.cn:
            return
        flight.active_at = time.monotonic()
        if "BeginTime" in flight.command.cp:
            await self.db(SessionStore.count_record, flight.command.id)
        else:
            await self.db(SessionStore.add_response, flight.command.id, packet.cp)

    def drop(self, link: Link) -> None:
        """The connection closed: its command stays open in the database for the next connection."""
        if self.links.get(link.device_id) is link:
            del self.links[link.device_id]
            flight = self._inflight.get(link.device_id)
            if flight is not None and flight.link is link:
                del self._inflight[link.device_id]

    async def _finish(self, flight: _InFlight, state: str, note: str) -> None:
        self._inflight.pop(flight.link.device_id, None)
        await self.db(SessionStore.finish, flight.command.id, state, note)
        await self._settle_password(flight, state)
        log.info("command %d (CN %s) to %s: %s", flight.command.id, flight.command.cn, flight.link.mn, note)

    async def _close(self, link: Link, command: OpenCommand, state: str, note: str) -> None:
        """End a command that could not be sent; a password change it carried failed (the device never saw it)."""
        await self.db(SessionStore.finish, command.id, state, note)
        await self._settle_password(_InFlight(command, link, command.qn or "", 0.0, 0.0, command.attempts), "failed")

    async def _settle_password(self, flight: _InFlight, state: str) -> None:
        """The final outcome of a 1072 settles its password change; on success the platform's requests carry the
        new PW from now on (the device checks it, HJ 212-2017 Table 7 QnRtn 3)."""
        if flight.command.origin != "password_change":
            return
        settled = await self.db(_settle, flight.command.id, state)
        if state == "done" and flight.new_pw is not None:
            flight.link.pw = flight.new_pw
        await self.refresh_keys(flight.link)
        log.info("password change of %s (command %d): %s", flight.link.mn, flight.command.id,
                 settled or "settled already")


def _password_to_send(store: SessionStore, command_id: int, master: bytes) -> str | None:
    try:
        return password_to_send(store.conn, command_id, master)
    except DeviceKeyError:  # sealed under another installation's key: this gateway cannot send it
        log.warning("the new password of command %d does not unseal with this gateway's installation key",
                    command_id)
        return None


def _record_sent(store: SessionStore, command_id: int, connection_id: str) -> None:
    record_sent(store.conn, command_id, connection_id, GATEWAY_BY)


def _settle(store: SessionStore, command_id: int, state: str) -> str | None:
    return settle(store.conn, command_id, state, GATEWAY_BY)
