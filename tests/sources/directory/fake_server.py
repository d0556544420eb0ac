"""A loopback HTTP server whose answers a test scripts: fixed documents, stalls, streams.

Not a test module: helpers for the directory tests. Every connection reads the request
head, records its path, then plays the ``Reply`` chosen for that path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from device.audio.ogg_writer import OggOpusWriter
from device.audio.opus_head import OpusHead, OpusTags

CELT_20MS_PACKET = b"\xfc" + bytes(120)  # TOC: CELT fullband 20 ms, one frame


@dataclass(frozen=True)
class Reply:
    """What the server does for one request."""

    head: bytes = b""  # b"": never answer
    body: tuple[bytes, ...] = ()  # sent one after another, ``gap_s`` apart
    gap_s: float = 0.0
    hold: bool = False  # keep the connection open (and silent) after the body


def http_reply(
    body: bytes, content_type: str = "application/json", status: str = "200 OK"
) -> Reply:
    head = (
        f"HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nServer: Icecast 2.4.4\r\n\r\n"
    ).encode()
    return Reply(head, (body,))


def ogg_stream_head(content_type: str = "application/ogg") -> bytes:
    head = f"HTTP/1.0 200 OK\r\nContent-Type: {content_type}\r\nServer: Icecast 2.4.4\r\n\r\n"
    return head.encode()


def opus_link(serial: int, tags: dict[str, str], audio_s: float, *, picture: bytes = b"") -> bytes:
    """One chained link: OpusHead, OpusTags (with a cover picture if given), ``audio_s`` of
    20 ms pages, the last one with EOS."""
    comments = list(tags.items())
    if picture:
        comments.append(("METADATA_BLOCK_PICTURE", picture.hex()))
    writer = OggOpusWriter(serial, OpusHead(2, 312), OpusTags("fake", tuple(comments)))
    pages = [writer.header_pages()]
    frames = round(audio_s / 0.02)
    for index in range(frames):
        pages.append(writer.packet(CELT_20MS_PACKET, 960, eos=index == frames - 1))
    return b"".join(pages)


def opus_pages(serial: int, tags: dict[str, str], frames: int) -> tuple[bytes, list[bytes]]:
    """Header pages and then ``frames`` single 20 ms pages of one link (no EOS)."""
    writer = OggOpusWriter(serial, OpusHead(2, 312), OpusTags("fake", tuple(tags.items())))
    return writer.header_pages(), [writer.packet(CELT_20MS_PACKET, 960) for _ in range(frames)]


class FakeServer:
    """``async with FakeServer(route) as server``: ``route(path) -> Reply``."""

    def __init__(self, route: Callable[[str], Reply]) -> None:
        self.route = route
        self.paths: list[str] = []
        self.request_heads: list[str] = []
        self.accept_times: list[float] = []
        self.active = 0
        self.max_active = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()  # held connections see EOF and their handlers end
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.accept_times.append(asyncio.get_running_loop().time())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            self.request_heads.append(head)
            path = head.split(" ", 2)[1]
            self.paths.append(path)
            await self._play(self.route(path), reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.active -= 1
            writer.transport.abort()
            self._handlers.discard(task)
            self._writers.discard(writer)

    async def _play(
        self, reply: Reply, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if not reply.head:
            await _until_client_leaves(reader)  # stall: never answer
        writer.write(reply.head)
        for index, chunk in enumerate(reply.body):
            if index and reply.gap_s:
                await asyncio.sleep(reply.gap_s)
            writer.write(chunk)
            await writer.drain()
        await writer.drain()
        if reply.hold:
            await _until_client_leaves(reader)


async def _until_client_leaves(reader: asyncio.StreamReader) -> None:
    while await reader.read(4096):
        pass


@contextlib.asynccontextmanager
async def serving(route: Callable[[str], Reply] | Reply) -> AsyncIterator[FakeServer]:
    """A FakeServer answering every path with one Reply, or routing by path."""
    router = route if callable(route) else (lambda _path: route)
    async with FakeServer(router) as server:
        yield server
