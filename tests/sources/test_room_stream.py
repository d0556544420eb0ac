"""RoomStream against a loopback server that answers like Icecast, with and without faults.

Backoff sleeps are injected (recorded, not waited), so retries run at full speed; timeouts are
short via the config. Every test bounds its wait on the event loop, so a bug fails, not hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from device.sources.room_stream import (
    RoomProblem,
    RoomStream,
    RoomStreamConfig,
    RoomStreamState,
)
from tests.support import FaultProxy, async_test

State = RoomStreamState
FAST = RoomStreamConfig(
    connect_timeout_s=0.3,
    stall_timeout_s=0.3,
    backoff_initial_s=0.25,
    backoff_max_s=2.0,
    backoff_jitter=0.5,
    healthy_after_s=60.0,
)


def ogg_head(status_line: str = "HTTP/1.0 200 OK", content_type: str = "application/ogg") -> bytes:
    # The header set Icecast 2.4 sends a listener (it renames the source's ice-* to icy-*).
    return (
        f"{status_line}\r\nContent-Type: {content_type}\r\nicy-name: Night Drive\r\n"
        "icy-description: #synthwave #live till 4\r\nicy-genre: Synthwave\r\n"
        "Cache-Control: no-cache, no-store\r\nServer: Icecast 2.4.4\r\n\r\n"
    ).encode()


def pattern(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@dataclass(frozen=True)
class Reply:
    """What the server does on one connection."""

    head: bytes = ogg_head()  # b"": accept and read the request, never answer
    body: tuple[bytes, ...] = ()
    gap_s: float = 0.0  # pause after each body chunk
    forever: bool = False  # repeat the body until the client leaves
    close: bool = True  # after the body; False keeps the connection open and silent

    def __post_init__(self) -> None:
        assert not self.forever or self.gap_s > 0, "a forever body needs a gap"


class FakeIcecast:
    """Loopback HTTP server; connection i gets replies[i] (the last reply repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = replies
        self.requests: list[bytes] = []
        self.sent: list[bytearray] = []  # body bytes written, per connection
        self.gone: list[asyncio.Event] = []  # set when the server side of a connection closed

    async def __aenter__(self) -> FakeIcecast:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/room.opus"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reply = self.replies[min(len(self.sent), len(self.replies) - 1)]
        sent, gone = bytearray(), asyncio.Event()
        self.sent.append(sent)
        self.gone.append(gone)
        try:
            self.requests.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(reply.head)
            for chunk in _repeat(reply.body, reply.forever):
                writer.write(chunk)
                await writer.drain()
                sent += chunk
                await asyncio.sleep(reply.gap_s)
            if not reply.close or not reply.head:
                while await reader.read(4096):
                    pass  # until the client leaves
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            gone.set()


def _repeat(chunks: tuple[bytes, ...], forever: bool):
    yield from chunks
    while forever:
        yield from chunks


class Listener:
    """Records callbacks; ``data[n]`` holds the bytes of connection n."""

    def __init__(self, on_state: Callable[[State, RoomProblem | None], None] | None = None):
        self.log: list[tuple[object, object]] = []
        self.data: dict[int, bytearray] = {}
        self._connection = 0
        self._hook = on_state

    def callbacks(self) -> dict[str, Callable]:
        return {
            "on_connected": self.on_connected,
            "on_data": self.on_data,
            "on_state": self.on_state,
        }

    def on_connected(self, number: int) -> None:
        self.log.append(("connected", number))
        self._connection = number
        self.data[number] = bytearray()

    def on_data(self, data: bytes) -> None:
        self.data[self._connection] += data  # KeyError if data came before on_connected

    def on_state(self, state: State, problem: RoomProblem | None) -> None:
        self.log.append((state, problem))
        if self._hook:
            self._hook(state, problem)

    def bytes_on(self, connection: int) -> int:
        return len(self.data.get(connection, b""))


class FakeSleep:
    """Records backoff delays without waiting; call number limit+1 parks the stream."""

    def __init__(self, limit: int) -> None:
        self.delays: list[float] = []
        self.limit = limit

    async def __call__(self, delay_s: float) -> None:
        self.delays.append(delay_s)
        if len(self.delays) > self.limit:
            await asyncio.Event().wait()
        await asyncio.sleep(0)


class FixedRng(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


async def until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.002)


@contextlib.asynccontextmanager
async def streaming(url: str, listener: Listener, **kwargs) -> AsyncIterator[RoomStream]:
    """Run a RoomStream for the body of the block, then cancel it and wait for its end."""
    kwargs.setdefault("config", FAST)
    stream = RoomStream(url, **listener.callbacks(), **kwargs)
    task = asyncio.create_task(stream.run())
    try:
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def proxied(server: FakeIcecast) -> AsyncIterator[tuple[FaultProxy, str]]:
    proxy = FaultProxy("127.0.0.1", server.port)
    await proxy.start()
    try:
        yield proxy, f"http://127.0.0.1:{proxy.port}/room.opus"
    finally:
        await proxy.stop()


# -- a healthy room ----------------------------------------------------------------------------


@pytest.mark.parametrize("status_line", ["HTTP/1.0 200 OK", "HTTP/1.1 200 OK", "ICY 200 OK"])
@async_test
async def test_ogg_room_delivers_every_byte_in_order_as_it_arrives(status_line):
    chunks = tuple(pattern(3000, seed) for seed in range(10))
    # The connection stays open and silent afterwards: the bytes must reach on_data without
    # the stream ending and without more data pushing them out.
    reply = Reply(head=ogg_head(status_line), body=chunks, gap_s=0.002, close=False)
    async with FakeIcecast(reply) as server:
        listener = Listener()
        async with streaming(server.url, listener) as stream:
            await until(lambda: listener.bytes_on(1) == 30_000)
            assert listener.log == [
                (State.CONNECTING, None),
                ("connected", 1),
                (State.STREAMING, None),
            ]
            assert stream.state is State.STREAMING
    assert listener.data[1] == b"".join(chunks)
    assert stream.stats.bytes_received == 30_000
    assert stream.stats.connections == 1
    assert stream.room_headers == {
        "ice-name": "Night Drive",
        "ice-description": "#synthwave #live till 4",
        "ice-genre": "Synthwave",
    }


@async_test
async def test_request_asks_for_the_mount_without_icy_metadata():
    async with FakeIcecast(Reply(close=False)) as server:
        listener = Listener()
        async with streaming(server.url + "?t=1", listener):
            await until(lambda: ("connected", 1) in listener.log)
    request = server.requests[0].decode()
    assert request.startswith("GET /room.opus?t=1 HTTP/1.1\r\n")
    assert f"\r\nHost: 127.0.0.1:{server.port}\r\n" in request
    assert "\r\nUser-Agent: drivetime-unit/0.1\r\n" in request
    assert "\r\nIcy-MetaData: 0\r\n" in request
    assert "\r\nConnection: close\r\n" in request


@async_test
async def test_chunked_body_is_delivered_dechunked():
    payload = pattern(5000, 1)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: audio/ogg\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part) for part in (payload[:1234], payload[1234:])
    )
    async with FakeIcecast(Reply(head=head, body=(chunked,), close=False)) as server:
        listener = Listener()
        async with streaming(server.url, listener):
            await until(lambda: listener.bytes_on(1) == len(payload))
    assert listener.data[1] == payload


@async_test
async def test_redirect_to_a_relay_is_followed():
    payload = pattern(4000, 2)
    async with FakeIcecast(Reply(body=(payload,), close=False)) as relay:
        moved = f"HTTP/1.0 302 Found\r\nLocation: {relay.url}\r\n\r\n".encode()
        async with FakeIcecast(Reply(head=moved)) as origin:
            listener = Listener()
            async with streaming(origin.url, listener):
                await until(lambda: listener.bytes_on(1) == len(payload))
    assert listener.data[1] == payload


# -- problems are reported and retried with growing delays --------------------------------------


@pytest.mark.parametrize(
    ("head", "problem", "state", "message"),
    [
        (
            ogg_head("HTTP/1.0 401 Authentication Required", "text/html"),
            RoomProblem.FULL_OR_PRIVATE,
            State.ERROR,
            "room full or private",
        ),
        (
            ogg_head("HTTP/1.0 403 Forbidden", "text/html"),
            RoomProblem.FULL_OR_PRIVATE,
            State.ERROR,
            "room full or private",
        ),
        (
            ogg_head("HTTP/1.0 404 File Not Found", "text/html"),
            RoomProblem.ENDED,
            State.ENDED,
            "room ended",
        ),
        (
            ogg_head("HTTP/1.0 500 Internal Server Error", "text/html"),
            RoomProblem.SERVER_ERROR,
            State.ERROR,
            "server error 500",
        ),
        (
            ogg_head("HTTP/1.1 503 Service Unavailable", "text/html"),
            RoomProblem.SERVER_ERROR,
            State.ERROR,
            "server error 503",
        ),
        (
            ogg_head("HTTP/1.0 200 OK", "text/html; charset=utf-8"),
            RoomProblem.UNSUPPORTED,
            State.ERROR,
            "unsupported stream (Content-Type: text/html)",
        ),
        (
            b"SSH-2.0-OpenSSH_9.2p1\r\n\r\n",
            RoomProblem.SERVER_ERROR,
            State.ERROR,
            "server error (bad status line 'SSH-2.0-OpenSSH_9.2p1')",
        ),
        (
            ogg_head(),  # 200 Ogg, then the server closes at once
            RoomProblem.DISCONNECTED,
            State.ERROR,
            "disconnected (server closed the stream)",
        ),
    ],
)
@async_test
async def test_problem_is_reported_and_retried_with_growing_capped_delays(
    head, problem, state, message
):
    async with FakeIcecast(Reply(head=head)) as server:
        listener, sleep = Listener(), FakeSleep(limit=3)
        async with streaming(server.url, listener, rng=FixedRng(0.0), sleep=sleep) as stream:
            await until(lambda: len(sleep.delays) == 4)
    assert sleep.delays == [0.25, 0.5, 1.0, 2.0]  # doubling, capped at backoff_max_s
    assert len(server.requests) == 4
    states = [entry for entry in listener.log if entry[0] != "connected"]
    expected = [(state, problem), (State.RECONNECTING, problem)]
    if problem is RoomProblem.DISCONNECTED:
        expected.insert(0, (State.STREAMING, None))
    assert states == [(State.CONNECTING, None), *expected * 4]
    assert stream.stats.last_problem is problem
    assert stream.stats.last_problem_message == message
    assert stream.stats.reconnects == 4


@async_test
async def test_server_that_never_answers_is_unreachable_and_its_socket_closed():
    async with FakeIcecast(Reply(head=b"")) as server:
        listener, sleep = Listener(), FakeSleep(limit=0)
        async with streaming(server.url, listener, sleep=sleep) as stream:
            await until(lambda: len(sleep.delays) == 1)
            await server.gone[0].wait()  # we hung up on it
    assert listener.log[1] == (State.ERROR, RoomProblem.UNREACHABLE)
    assert stream.stats.last_problem_message == "cannot reach server (no answer within 0.3 s)"


@async_test
async def test_refused_connection_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    listener, sleep = Listener(), FakeSleep(limit=1)
    async with streaming(f"http://127.0.0.1:{port}/room.opus", listener, sleep=sleep) as stream:
        await until(lambda: len(sleep.delays) == 2)
    assert listener.log[1:3] == [
        (State.ERROR, RoomProblem.UNREACHABLE),
        (State.RECONNECTING, RoomProblem.UNREACHABLE),
    ]
    assert stream.stats.last_problem_message == "cannot reach server (connection refused)"


def _jitter_bounds(index: int) -> tuple[float, float]:
    base_s = min(FAST.backoff_max_s, FAST.backoff_initial_s * 2**index)
    return base_s * (1 - FAST.backoff_jitter), base_s


@async_test
async def test_delays_are_jittered_within_bounds():
    async with FakeIcecast(Reply(head=ogg_head("HTTP/1.0 404 Not Found"))) as server:
        sleep = FakeSleep(limit=9)
        async with streaming(server.url, Listener(), rng=random.Random(7), sleep=sleep):
            await until(lambda: len(sleep.delays) == 10)
    for index, delay_s in enumerate(sleep.delays):
        low_s, high_s = _jitter_bounds(index)
        assert low_s < delay_s <= high_s
    assert len(set(sleep.delays[4:])) == 6  # capped, yet not in lockstep


@pytest.mark.parametrize(
    ("healthy_after_s", "expected_delays"),
    [(0.0, [0.25, 0.5, 0.25, 0.5]), (60.0, [0.25, 0.5, 1.0, 2.0])],
)
@async_test
async def test_backoff_restarts_only_after_a_connection_that_streamed_long_enough(
    healthy_after_s, expected_delays
):
    gone = ogg_head("HTTP/1.0 404 Not Found")
    served = Reply(body=(pattern(2000, 3),))  # streams, then the source leaves
    async with FakeIcecast(Reply(head=gone), Reply(head=gone), served, Reply(head=gone)) as server:
        listener, sleep = Listener(), FakeSleep(limit=3)
        config = dataclasses.replace(FAST, healthy_after_s=healthy_after_s)
        async with streaming(server.url, listener, config=config, rng=FixedRng(0.0), sleep=sleep):
            await until(lambda: len(sleep.delays) == 4)
    assert sleep.delays == expected_delays
    assert listener.data[1] == server.sent[2]


# -- cancellation -------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["streaming", "connecting"])
@async_test
async def test_cancel_ends_run_and_closes_the_socket(phase):
    reply = Reply(body=(pattern(500, 4),), gap_s=0.005, forever=True)
    if phase == "connecting":
        reply = Reply(head=b"")
    async with FakeIcecast(reply) as server:
        listener = Listener()
        config = RoomStreamConfig(connect_timeout_s=30.0, stall_timeout_s=30.0)
        stream = RoomStream(server.url, **listener.callbacks(), config=config)
        task = asyncio.create_task(stream.run())
        await until(lambda: listener.bytes_on(1) > 0 if phase == "streaming" else server.requests)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await server.gone[0].wait()  # the server saw us hang up
    assert len(server.requests) == 1


# -- faults injected through the proxy ----------------------------------------------------------


@async_test
async def test_stall_is_detected_and_the_new_connection_delivers_every_byte():
    live = Reply(body=(pattern(700, 5),), gap_s=0.01, forever=True)
    second = Reply(body=tuple(pattern(1500, seed) for seed in range(10, 40)), gap_s=0.001)
    async with FakeIcecast(live, second) as server, proxied(server) as (proxy, url):

        def heal_on_stall(state: State, problem: RoomProblem | None) -> None:
            if state is State.STALLED:
                proxy.pass_through()

        listener, sleep = Listener(on_state=heal_on_stall), FakeSleep(limit=1)
        async with streaming(url, listener, sleep=sleep) as stream:
            await until(lambda: listener.bytes_on(1) > 0)
            proxy.stall()
            await until(lambda: len(sleep.delays) == 2)  # stalled, then connection 2 ended
    assert listener.log[3:] == [
        (State.STALLED, RoomProblem.STALLED),
        (State.RECONNECTING, RoomProblem.STALLED),
        ("connected", 2),
        (State.STREAMING, None),
        (State.ERROR, RoomProblem.DISCONNECTED),
        (State.RECONNECTING, RoomProblem.DISCONNECTED),
    ]
    assert bytes(listener.data[1]) == server.sent[0][: listener.bytes_on(1)]
    assert listener.data[2] == server.sent[1]
    assert len(server.sent[1]) == 45_000
    assert stream.stats.bytes_received == listener.bytes_on(1) + 45_000


@async_test
async def test_a_slow_but_steady_stream_is_never_taken_for_a_stall():
    # A gap just under the stall timeout, many times over: each byte re-arms the watchdog.
    slow = Reply(body=(b"x" * 10,), gap_s=0.2, forever=True)
    async with FakeIcecast(slow) as server:
        listener = Listener()
        async with streaming(server.url, listener) as stream:  # stall_timeout_s=0.3
            await until(lambda: listener.bytes_on(1) >= 60)  # six gaps: 1.2 s
            assert stream.state is State.STREAMING
    assert [entry for entry in listener.log if entry[0] is State.STALLED] == []
    assert stream.stats.connections == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("drop", "disconnected (server closed the stream)"),
        ("reset", "disconnected (connection reset)"),
    ],
)
@async_test
async def test_dropped_connection_reconnects_and_streams_on(fault, message):
    live = Reply(body=(pattern(700, 6),), gap_s=0.005, forever=True)
    async with FakeIcecast(live) as server, proxied(server) as (proxy, url):
        listener = Listener()
        async with streaming(url, listener, sleep=FakeSleep(limit=5)) as stream:
            await until(lambda: listener.bytes_on(1) > 0)
            getattr(proxy, fault)()
            await until(lambda: listener.bytes_on(2) >= 7000)
    assert (State.ERROR, RoomProblem.DISCONNECTED) in listener.log
    assert stream.stats.last_problem_message == message
    for number in (1, 2):  # each connection: the server's bytes, in order, none missing
        received = listener.data[number]
        assert received == server.sent[number - 1][: len(received)]


@async_test
async def test_refused_then_healed_proxy_recovers():
    reply = Reply(body=(pattern(900, 8),), close=False)
    async with FakeIcecast(reply) as server, proxied(server) as (proxy, url):
        proxy.refuse()

        def heal(state: State, problem: RoomProblem | None) -> None:
            if state is State.RECONNECTING:
                proxy.pass_through()

        listener = Listener(on_state=heal)
        async with streaming(url, listener, sleep=FakeSleep(limit=5)):
            await until(lambda: listener.bytes_on(1) == 900)
    # Closed before answering: a FIN or, when our request was already there, an RST.
    assert listener.log[1:5] == [
        (State.ERROR, RoomProblem.UNREACHABLE),
        (State.RECONNECTING, RoomProblem.UNREACHABLE),
        ("connected", 1),
        (State.STREAMING, None),
    ]
    assert listener.data[1] == server.sent[0]


# -- paced reads ---------------------------------------------------------------------------------


class SizedListener(Listener):
    """Also records the size of every delivery and when it came."""

    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[tuple[float, int]] = []

    def on_data(self, data: bytes) -> None:
        self.deliveries.append((asyncio.get_running_loop().time(), len(data)))
        super().on_data(data)


@pytest.mark.parametrize("pause_ms", [0.0, 100.0])
@async_test
async def test_a_steady_stream_is_read_on_a_timer_once_the_burst_is_in(monkeypatch, pause_ms):
    monkeypatch.setattr("device.sources.room_stream.PACE_FROM_S", 0.3)
    # A page of 250 bytes every 20 ms (12.5 kB/s, a 96 kb/s room), then the server closes:
    # 100 ms of it is 1250 bytes.
    pages = tuple(pattern(250, seed) for seed in range(100))
    config = dataclasses.replace(FAST, read_pause_ms=pause_ms, stall_timeout_s=1.0)
    async with FakeIcecast(Reply(body=pages, gap_s=0.02)) as server:
        listener = SizedListener()
        async with streaming(server.url, listener, config=config, sleep=FakeSleep(limit=0)):
            await until(lambda: server.gone and server.gone[0].is_set())
            await until(lambda: listener.bytes_on(1) == 25_000)
            await until(lambda: (State.ERROR, RoomProblem.DISCONNECTED) in listener.log)
    # Every byte, in order, and the end of the stream is still seen.
    assert listener.data[1] == b"".join(pages)
    started = listener.deliveries[0][0]
    late = [size for at, size in listener.deliveries[:-1] if at > started + 0.6]
    assert len(late) >= 5
    if pause_ms:
        assert min(late) >= 750, late  # about 1250 bytes per wake-up instead of one page
    else:
        assert max(late) <= 500, late  # each page as it arrives


@async_test
async def test_a_reset_while_reads_are_paced_reconnects(monkeypatch):
    monkeypatch.setattr("device.sources.room_stream.PACE_FROM_S", 0.1)
    live = Reply(body=(pattern(250, 9),), gap_s=0.02, forever=True)
    async with FakeIcecast(live) as server, proxied(server) as (proxy, url):
        listener = SizedListener()
        async with streaming(url, listener, sleep=FakeSleep(limit=5)) as stream:
            await until(lambda: listener.bytes_on(1) >= 5000)  # 0.4 s: paced by now
            assert max(size for _, size in listener.deliveries[-3:]) > 250
            proxy.reset()
            await until(lambda: listener.bytes_on(2) >= 2000)
    assert stream.stats.last_problem_message == "disconnected (connection reset)"
    for number in (1, 2):
        received = listener.data[number]
        assert received == server.sent[number - 1][: len(received)]
