"""A loopback TCP proxy that injects network faults into live connections.

Put it between a client and a server (Icecast, a test double) and flip switches while
connections are open::

    proxy = FaultProxy("127.0.0.1", icecast_port)
    await proxy.start()            # listens on 127.0.0.1:proxy.port
    proxy.stall()                  # both directions stop; upstream data is held ...
    proxy.resume()                 # ... and arrives as one stale burst, like Icecast does
    proxy.drop() / proxy.reset()   # close clients cleanly (FIN) / abortively (RST)
    proxy.slow(8_000)              # pace forwarding at 8 kB/s per direction and connection
    proxy.refuse()                 # close new connections at once
    proxy.pass_through()           # all faults off
    await proxy.stop()

Switch methods are plain calls on the proxy's event loop. From blocking code (a benchmark in
a plain thread) use ``with FaultProxy.run_in_thread(host, port) as proxy:``, which runs the
proxy on its own loop thread and makes the same calls thread-safe and synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

READ_BYTES = 65_536
PACE_TICKS_PER_S = 50  # slow(): write rate/50 bytes every 20 ms
THREAD_CALL_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ProxyCounters:
    accepted: int  # client connections forwarded upstream
    refused: int  # client connections closed at once by refuse() or a dead upstream
    active: int  # client connections open now
    bytes_to_client: int  # written to clients, all connections
    bytes_to_upstream: int
    held_to_client_bytes: int  # read from upstream, not yet forwarded (stall backlog)
    drops: int  # connections closed by drop()
    resets: int  # connections reset by reset()


class FaultProxy:
    """TCP proxy on 127.0.0.1:<ephemeral> with fault switches; see the module docstring."""

    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = "127.0.0.1"):
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = 0
        self.stalled = False
        self.refusing = False
        self.bytes_per_s: int | None = None
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tally = dict.fromkeys(("accepted", "refused", "drops", "resets"), 0)
        self._tally.update(bytes_to_client=0, bytes_to_upstream=0)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and abort every open connection."""
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.close(reset=False)
        await asyncio.gather(*(link.task for link in list(self._links)), return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # -- fault switches (take effect on open connections too) --------------------------------

    def pass_through(self) -> None:
        """All faults off; a held backlog is delivered."""
        self.refusing = False
        self.bytes_per_s = None
        self.resume()

    def stall(self) -> None:
        """Keep sockets open but forward nothing; keep reading upstream into a backlog.

        Connections opened during a stall are stalled too (their request is held).
        """
        self.stalled = True

    def resume(self) -> None:
        """End a stall: held data goes out at once (or at the slow() pace)."""
        self.stalled = False
        self._wake_all()

    def slow(self, bytes_per_s: int) -> None:
        if bytes_per_s < 1:
            raise ValueError(f"slow() needs at least 1 byte/s (got {bytes_per_s})")
        self.bytes_per_s = bytes_per_s
        self._wake_all()

    def refuse(self) -> None:
        """Close new connections as soon as they are accepted (open ones are untouched)."""
        self.refusing = True

    def drop(self) -> None:
        """Close every client connection cleanly (FIN); its upstream connection too."""
        for link in list(self._links):
            link.close(reset=False)
            self._tally["drops"] += 1

    def reset(self) -> None:
        """Reset every client connection (RST: SO_LINGER 0, then close)."""
        for link in list(self._links):
            link.close(reset=True)
            self._tally["resets"] += 1

    # -- observation ------------------------------------------------------------------------

    def counters(self) -> ProxyCounters:
        held = sum(len(link.to_client.pending) for link in self._links)
        return ProxyCounters(active=len(self._links), held_to_client_bytes=held, **self._tally)

    async def wait_until(
        self, predicate: Callable[[ProxyCounters], bool], timeout_s: float = 5.0
    ) -> ProxyCounters:
        """Poll the counters until ``predicate`` holds; TimeoutError after ``timeout_s``."""
        async with asyncio.timeout(timeout_s):
            while not predicate(counters := self.counters()):
                await asyncio.sleep(0.005)
        return counters

    @classmethod
    @contextlib.contextmanager
    def run_in_thread(cls, upstream_host: str, upstream_port: int) -> Iterator[ThreadedFaultProxy]:
        """Run a proxy on a private event loop thread for blocking callers."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fault-proxy", daemon=True)
        thread.start()
        threaded = ThreadedFaultProxy(cls(upstream_host, upstream_port), loop)
        try:
            threaded.call(threaded.proxy.start)
            yield threaded
        finally:
            threaded.call(threaded.proxy.stop)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(THREAD_CALL_TIMEOUT_S)
            loop.close()

    # -- internals --------------------------------------------------------------------------

    def _wake_all(self) -> None:
        for link in self._links:
            link.wake()

    def _count(self, name: str, amount: int) -> None:
        self._tally[name] += amount

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            self._tally["refused"] += 1
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            self._tally["refused"] += 1
            writer.close()
            return
        self._tally["accepted"] += 1
        link = _Link(self, reader, writer, up_reader, up_writer)
        self._links.add(link)
        try:
            await link.run()
        finally:
            self._links.discard(link)


class _Pipe:
    """One direction of one connection: reads eagerly, writes when the proxy lets it."""

    def __init__(
        self,
        proxy: FaultProxy,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        counter: str,
    ) -> None:
        self.proxy = proxy
        self.source = source
        self.sink = sink
        self.counter = counter
        self.pending = bytearray()
        self.source_ended = False
        self.wake = asyncio.Event()

    async def read_all(self) -> None:
        """Read until EOF or reset, holding everything in ``pending``."""
        try:
            while data := await self.source.read(READ_BYTES):
                self.pending += data
                self.wake.set()
        except ConnectionError:
            pass
        self.source_ended = True
        self.wake.set()

    async def forward(self) -> None:
        """Write held data whenever not stalled; return once the source's EOF is delivered."""
        while True:
            while self.proxy.stalled or not (self.pending or self.source_ended):
                self.wake.clear()
                await self.wake.wait()
            if not self.pending:
                return
            rate = self.proxy.bytes_per_s
            size = len(self.pending) if rate is None else max(1, rate // PACE_TICKS_PER_S)
            chunk = bytes(self.pending[:size])
            del self.pending[:size]
            self.sink.write(chunk)
            await self.sink.drain()
            self.proxy._count(self.counter, len(chunk))
            if rate is not None:
                await asyncio.sleep(len(chunk) / rate)


class _Link:
    """A client connection and its upstream connection."""

    def __init__(
        self,
        proxy: FaultProxy,
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        self.client_writer = client_writer
        self.up_writer = up_writer
        self.to_client = _Pipe(proxy, up_reader, client_writer, "bytes_to_client")
        self.to_upstream = _Pipe(proxy, client_reader, up_writer, "bytes_to_upstream")
        self.task = asyncio.current_task()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    async def run(self) -> None:
        self._tasks = [
            asyncio.create_task(self.to_client.read_all()),
            asyncio.create_task(self.to_client.forward()),
            asyncio.create_task(self.to_upstream.read_all()),
            asyncio.create_task(self.to_upstream.forward()),
        ]
        # The link ends when upstream's EOF reached the client (after any held backlog), or
        # as soon as the client goes away: there is nobody left to hold a backlog for.
        # (Write errors end their forward() task and so the link, too.)
        ending = self._tasks[1:]
        try:
            await asyncio.wait(ending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.close(reset=False)
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        self.to_client.wake.set()
        self.to_upstream.wake.set()

    def close(self, *, reset: bool) -> None:
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        if reset:
            sock = self.client_writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.client_writer.transport.abort()
        else:
            _close_cleanly(self.client_writer)
        self.up_writer.transport.abort()


def _close_cleanly(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        if writer.can_write_eof() and not writer.transport.is_closing():
            writer.write_eof()
    writer.close()


class ThreadedFaultProxy:
    """A FaultProxy running on its own loop thread; every method blocks until applied."""

    def __init__(self, proxy: FaultProxy, loop: asyncio.AbstractEventLoop) -> None:
        self.proxy = proxy
        self.loop = loop

    @property
    def port(self) -> int:
        return self.proxy.port

    def call(
        self,
        function: Callable[..., object],
        *args: object,
        timeout_s: float = THREAD_CALL_TIMEOUT_S,
    ) -> object:
        """Run ``function(*args)`` on the proxy's loop (awaiting it if it is async)."""

        async def invoke() -> object:
            result = function(*args)
            return await result if asyncio.iscoroutine(result) else result

        future = asyncio.run_coroutine_threadsafe(invoke(), self.loop)
        return future.result(timeout_s)

    def pass_through(self) -> None:
        self.call(self.proxy.pass_through)

    def stall(self) -> None:
        self.call(self.proxy.stall)

    def resume(self) -> None:
        self.call(self.proxy.resume)

    def slow(self, bytes_per_s: int) -> None:
        self.call(self.proxy.slow, bytes_per_s)

    def refuse(self) -> None:
        self.call(self.proxy.refuse)

    def drop(self) -> None:
        self.call(self.proxy.drop)

    def reset(self) -> None:
        self.call(self.proxy.reset)

    def counters(self) -> ProxyCounters:
        return self.call(self.proxy.counters)  # type: ignore[return-value]

    def wait_until(
        self, predicate: Callable[[ProxyCounters], bool], timeout_s: float = 5.0
    ) -> ProxyCounters:
        result = self.call(self.proxy.wait_until, predicate, timeout_s, timeout_s=timeout_s + 1)
        return result  # type: ignore[return-value]
