"""Forwarding tests: their own database, two sites (one forwarded), and a tiny upper-level HJ 212 platform."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import psycopg
import pytest

from ecomon.ingest.hj212.codec import Hj212Error, Packet, decode, encode
from ecomon.ingest.hj212.codec.flows import replies
from tests.conftest import _fresh_database


@pytest.fixture(scope="session")
def forward_url(platform_env: dict[str, str]) -> str:
    from ecomon.registry.catalogue import parameters
    from ecomon.registry.store import load_parameters
    from ecomon.store.db import connect, migrate

    url = _fresh_database(platform_env["database_url"], "ecomon_forward_test")
    migrate(url)
    with connect(url) as conn:
        load_parameters(conn, parameters())
        conn.execute("INSERT INTO region (code, name_zh, level) VALUES ('110000', '北京市', 'province')")
        for code in ("FWD-A", "FWD-B", "FWD-C"):
            conn.execute("INSERT INTO site (code, name_zh, element, site_type, control_level, region_code, "
                         "updated_by) VALUES (%s, '转发测试站', 'air', 'urban', 'city', '110000', 'test')", (code,))
    return url


@pytest.fixture()
def db(forward_url: str) -> Iterator[psycopg.Connection]:
    from ecomon.store.db import connect

    conn = connect(forward_url, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class UpperPlatform:
    """An upper-level platform: decodes every frame strictly, records it and answers per the standard (9014
    when the Flag asks). `ignore_first` lists QNs whose first copy gets no answer (a lost ACK)."""

    def __init__(self, port: int, ignore_first: frozenset[str] = frozenset()) -> None:
        self.port, self.ignore_first = port, set(ignore_first)
        self.received: list[Packet] = []
        self.errors: list[str] = []
        self.connections = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while line := await reader.readuntil(b"\r\n"):
                try:
                    packet = decode(line)  # strict: the platform must send conforming packets
                except Hj212Error as exc:
                    self.errors.append(str(exc))
                    continue
                self.received.append(packet)
                if packet.qn in self.ignore_first:
                    self.ignore_first.discard(packet.qn)
                    continue
                for answer in replies(packet):
                    writer.write(encode(answer))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
