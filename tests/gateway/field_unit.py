"""A field unit (数采仪) that behaves as HJ 212-2017/2025 describe, for the session-layer tests: it uploads data
and waits for 9014, and answers the platform's requests: 9011, the answering uploads, 9012 (§6.5.2-6.5.3).

It keeps every record it measured, so a history request (2051/2061 with BeginTime/EndTime) is answered from it,
and it reconnects and re-sends an unanswered packet when the link drops (what real DAQs do after a timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ecomon.ingest.hj212.codec import CipherForm, Packet, Version, build, decode, encode
from ecomon.ingest.hj212.codec.split import split
from ecomon.ingest.hj212.session.framing import missing_bytes

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y%m%d%H%M%S"


@dataclass
class FieldUnit:
    mn: str
    pw: str
    host: str
    port: int
    version: Version = Version.HJ212_2017
    key: bytes | None = None
    cipher_form: CipherForm = CipherForm.RAW
    clock_offset: timedelta = timedelta(0)
    st: str = "22"
    answer_timeout: float = 10.0
    records: dict[tuple[str, datetime], dict[str, str]] = field(default_factory=dict)
    requests: list[Packet] = field(default_factory=list)
    acked: list[Packet] = field(default_factory=list)
    sent_frames: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: dict[str, asyncio.Future[Packet]] = {}
        self._task: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._last_qn = datetime.min

    # --- clock and packets ------------------------------------------------------------------------------------

    def clock(self) -> datetime:
        return datetime.now(SHANGHAI).replace(tzinfo=None) + self.clock_offset

    def qn(self) -> str:
        self._last_qn = max(self.clock(), self._last_qn + timedelta(milliseconds=1))
        return self._last_qn.strftime("%Y%m%d%H%M%S%f")[:17]

    def data(self, cn: str, when: datetime, values: dict[str, float], *, resend: bool = False,
             qn: str | None = None) -> Packet:
        cp = {"DataTime": when.strftime(TIME_FORMAT)}
        for code, value in values.items():
            cp[f"{code}-Avg"] = f"{value:g}"
            cp[f"{code}-Flag"] = "N"
        self.records[(cn, when)] = cp
        return build(cn, cp, version=self.version, st=self.st, pw=self.pw, mn=self.mn, qn=qn or self.qn(),
                     reply=True, resend=resend and self.version is Version.HJ212_2025)

    def _frame(self, packet: Packet) -> bytes:
        return encode(packet, key=self.key, cipher_form=self.cipher_form)

    # --- link ---------------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._task = asyncio.create_task(self._read_loop(self._reader))

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                await self._task
        for task in list(self._handlers):
            task.cancel()

    async def send(self, packet: Packet) -> None:
        assert self._writer is not None
        frame = self._frame(packet)
        self.sent_frames.append(frame)
        self._writer.write(frame)
        await self._writer.drain()

    async def upload(self, packet: Packet) -> Packet | None:
        """Send and wait for the platform's answer with the same QN (9014 / 9013 / 9011)."""
        future: asyncio.Future[Packet] = asyncio.get_running_loop().create_future()
        self._waiting[packet.qn or ""] = future
        await self.send(packet)
        try:
            answer = await asyncio.wait_for(future, self.answer_timeout)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(packet.qn or "", None)
        if answer.cn == "9014":
            self.acked.append(packet)
        return answer

    async def upload_until_acked(self, packet: Packet, retry_s: float = 0.5, give_up_s: float = 60.0) -> None:
        """Re-send over a new connection until the 9014 arrives (the gateway may be down meanwhile)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + give_up_s
        while loop.time() < deadline:
            try:
                if self._writer is None or self._writer.is_closing():
                    await self.connect()
                answer = await self.upload(packet)
                if answer is not None and answer.cn == "9014":
                    return
            except (ConnectionError, OSError):
                pass
            await self.close()
            self._writer = None
            await asyncio.sleep(retry_s)
        raise AssertionError(f"{self.mn}: no 9014 for {packet.qn} within {give_up_s} s")

    async def upload_split(self, packet: Packet, max_segment: int) -> list[Packet | None]:
        return [await self.upload(part) for part in split(packet, max_segment)]

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        try:
            await self._read_frames(reader)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            for waiter in self._waiting.values():  # the link is gone: nobody will answer these
                if not waiter.done():
                    waiter.set_exception(ConnectionError("link closed"))

    async def _read_frames(self, reader: asyncio.StreamReader) -> None:
        while True:
            frame = await reader.readuntil(b"\r\n")
            while missing_bytes(frame) and self.key is not None:
                frame += await reader.readuntil(b"\r\n")
            packet = decode(frame, lenient=True, key=self.key)
            waiter = self._waiting.get(packet.qn or packet.cp.get("QN", ""))
            if packet.cn in ("9011", "9013", "9014") and waiter is not None and not waiter.done():
                waiter.set_result(packet)
            elif packet.cn not in ("9011", "9012", "9013", "9014"):
                self.requests.append(packet)
                task = asyncio.create_task(self._execute(packet))
                self._handlers.add(task)
                task.add_done_callback(self._handlers.discard)

    # --- the platform's requests ----------------------------------------------------------------------------

    def _reply(self, request: Packet, cn: str, cp: dict[str, str]) -> Packet:
        if self.version is Version.HJT212_2005:  # 2005 replies echo the request's QN inside CP (reference §7)
            return build(cn, {"QN": request.qn or "", **cp}, version=self.version, st="91", pw=self.pw, mn=self.mn)
        return build(cn, cp, version=self.version, st="91", pw=self.pw, mn=self.mn, qn=request.qn)

    async def _execute(self, request: Packet) -> None:
        cn = request.cn or ""
        if cn in ("2012", "2022"):
            await self.send(self._reply(request, "9013", {}))
            return
        await self.send(self._reply(request, "9011", {"QnRtn": "1"}))
        exe = "1"
        if cn == "1012":
            target = datetime.strptime(request.cp["SystemTime"], TIME_FORMAT)
            self.clock_offset = target - datetime.now(SHANGHAI).replace(tzinfo=None)
        elif cn == "1011":
            await self.send(build("1011", {"SystemTime": self.clock().strftime(TIME_FORMAT)}, version=self.version,
                                  st=self.st, pw=self.pw, mn=self.mn, qn=request.qn))
        elif cn == "1061":
            await self.send(build("1061", {"RtdInterval": "30"}, version=self.version, st=self.st, pw=self.pw,
                                  mn=self.mn, qn=request.qn))
        elif cn in ("2051", "2061") and "BeginTime" in request.cp:
            begin = datetime.strptime(request.cp["BeginTime"], TIME_FORMAT)
            end = datetime.strptime(request.cp["EndTime"], TIME_FORMAT)
            found = sorted(when for (kind, when) in self.records if kind == cn and begin <= when <= end)
            for when in found:  # Table C.48: each record its own QN, Flag=5, answered 9014
                cp = self.records[(cn, when)]
                record = build(cn, cp, version=self.version, st=self.st, pw=self.pw, mn=self.mn, qn=self.qn(),
                               reply=True, resend=self.version is Version.HJ212_2025)
                answer = await self.upload(record)
                if answer is None:
                    exe = "4"
            exe = exe if found else "100"
        elif cn == "1014":
            self.key = request.cp["NewSK"].encode("ascii")
        await self.send(self._reply(request, "9012", {"ExeRtn": exe}))
