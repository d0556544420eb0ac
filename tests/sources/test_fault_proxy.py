"""The fault proxy does to live connections what its switches say, and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.support import FaultProxy, async_test

QUIET_S = 0.05  # how long "nothing arrives" is watched for; a correct proxy never sends


class Upstream:
    """A server whose accepted connections the test drives by hand."""

    async def __aenter__(self) -> Upstream:
        self.accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
        self.accepted = asyncio.Queue()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.accepted.put((reader, writer))


@contextlib.asynccontextmanager
async def rig() -> AsyncIterator[tuple[FaultProxy, Upstream]]:
    async with Upstream() as upstream:
        proxy = FaultProxy("127.0.0.1", upstream.port)
        await proxy.start()
        try:
            yield proxy, upstream
        finally:
            await proxy.stop()


@dataclass
class Connection:
    """Both ends of one proxied connection. Holding it keeps every writer referenced: a
    garbage-collected StreamWriter closes its socket."""

    client_r: asyncio.StreamReader
    client_w: asyncio.StreamWriter
    up_r: asyncio.StreamReader
    up_w: asyncio.StreamWriter


async def connect(proxy: FaultProxy, upstream: Upstream) -> Connection:
    client_r, client_w = await asyncio.open_connection("127.0.0.1", proxy.port)
    up_r, up_w = await upstream.accepted.get()
    return Connection(client_r, client_w, up_r, up_w)


async def nothing_arrives(reader: asyncio.StreamReader) -> bool:
    try:
        await asyncio.wait_for(reader.read(1), QUIET_S)
    except TimeoutError:
        return True
    return False


@async_test
async def test_pass_through_forwards_both_ways_byte_exact():
    data = random.Random(1).randbytes(200_000)
    async with rig() as (proxy, upstream):
        conn = await connect(proxy, upstream)
        conn.client_w.write(data)
        assert await conn.up_r.readexactly(len(data)) == data
        conn.up_w.write(data[::-1])
        assert await conn.client_r.readexactly(len(data)) == data[::-1]
        counters = proxy.counters()
    assert (counters.accepted, counters.active) == (1, 1)
    assert counters.bytes_to_client == counters.bytes_to_upstream == len(data)


@async_test
async def test_stall_holds_data_both_ways_and_resume_delivers_the_backlog_in_order():
    backlog = random.Random(2).randbytes(50_000)
    async with rig() as (proxy, upstream):
        conn = await connect(proxy, upstream)
        proxy.stall()
        conn.up_w.write(backlog)
        conn.client_w.write(b"GET /room")
        await proxy.wait_until(lambda c: c.held_to_client_bytes == len(backlog))
        assert await nothing_arrives(conn.client_r)
        assert await nothing_arrives(conn.up_r)
        proxy.resume()
        assert await conn.client_r.readexactly(len(backlog)) == backlog
        assert await conn.up_r.readexactly(9) == b"GET /room"
        assert proxy.counters().held_to_client_bytes == 0


@async_test
async def test_upstream_eof_during_a_stall_waits_behind_the_backlog():
    async with rig() as (proxy, upstream):
        conn = await connect(proxy, upstream)
        proxy.stall()
        conn.up_w.write(b"last words")
        conn.up_w.close()
        await proxy.wait_until(lambda c: c.held_to_client_bytes == 10)
        assert await nothing_arrives(conn.client_r)
        proxy.pass_through()
        assert await conn.client_r.read() == b"last words"  # then EOF


@async_test
async def test_drop_closes_clients_cleanly_and_their_upstream_connections():
    async with rig() as (proxy, upstream):
        conn = await connect(proxy, upstream)
        proxy.drop()
        assert await conn.client_r.read() == b""
        assert await conn.up_r.read() == b""
        counters = await proxy.wait_until(lambda c: c.active == 0)
    assert counters.drops == 1


@async_test
async def test_reset_aborts_clients_with_rst():
    async with rig() as (proxy, upstream):
        conn = await connect(proxy, upstream)
        proxy.reset()
        with pytest.raises(ConnectionResetError):
            await conn.client_r.read()
        assert proxy.counters().resets == 1


@async_test
async def test_refuse_closes_new_connections_without_contacting_upstream():
    async with rig() as (proxy, upstream):
        before = await connect(proxy, upstream)
        proxy.refuse()
        refused = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await refused[0].read() == b""
        assert upstream.accepted.empty()
        before.up_w.write(b"still here")  # connections opened before are untouched
        assert await before.client_r.readexactly(10) == b"still here"
        proxy.pass_through()
        healed = await connect(proxy, upstream)
        healed.up_w.write(b"back")
        assert await healed.client_r.readexactly(4) == b"back"
        counters = proxy.counters()
    assert (counters.accepted, counters.refused) == (2, 1)


@async_test
async def test_dead_upstream_looks_like_a_refused_connection():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    proxy = FaultProxy("127.0.0.1", dead_port)
    await proxy.start()
    try:
        client = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await client[0].read() == b""
        assert proxy.counters().refused == 1
    finally:
        await proxy.stop()


@async_test
async def test_slow_paces_an_open_connection_and_keeps_the_bytes_intact():
    data = random.Random(3).randbytes(3_000)
    async with rig() as (proxy, upstream):
        conn = await connect(proxy, upstream)
        proxy.slow(10_000)  # 200-byte writes every 20 ms: 3 kB takes >= 0.28 s
        started_s = time.monotonic()
        conn.up_w.write(data)
        pieces = []
        while sum(map(len, pieces)) < len(data):
            pieces.append(await conn.client_r.read(len(data)))
        elapsed_s = time.monotonic() - started_s
    assert b"".join(pieces) == data
    assert max(map(len, pieces)) <= 400  # never a burst: at most two paced writes at once
    assert elapsed_s >= 0.25  # a lower bound only: a slow machine cannot break it


@async_test
async def test_stop_closes_open_connections():
    async with Upstream() as upstream:
        proxy = FaultProxy("127.0.0.1", upstream.port)
        await proxy.start()
        conn = await connect(proxy, upstream)
        proxy.stall()
        await proxy.stop()
        assert await conn.client_r.read() == b""


def test_threaded_proxy_is_driven_from_blocking_code():
    backlog = random.Random(4).randbytes(20_000)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5.0)
        with FaultProxy.run_in_thread("127.0.0.1", listener.getsockname()[1]) as proxy:
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5.0) as client:
                server_side, _ = listener.accept()
                with server_side:
                    proxy.stall()
                    server_side.sendall(backlog)
                    proxy.wait_until(lambda c: c.held_to_client_bytes == len(backlog))
                    proxy.resume()
                    received = bytearray()
                    while len(received) < len(backlog):
                        received += client.recv(65_536)
                    proxy.drop()
                    assert client.recv(1) == b""
            counters = proxy.counters()
    assert received == backlog
    assert (counters.accepted, counters.drops, counters.bytes_to_client) == (1, 1, len(backlog))
