"""A minimal HTTP/1.1 GET client for long-lived streams (Icecast mounts), on asyncio streams.

It does one job: open ``http://`` URLs, send a GET, parse the response head (``HTTP/1.x`` and
SHOUTcast-style ``ICY 200 OK`` status lines), follow redirects (Icecast redirects listeners to
relays when a mount is full) and hand back a body reader that returns bytes as soon as they
arrive. Bodies are read until EOF, up to ``Content-Length``, or de-chunked
(``Transfer-Encoding: chunked``, which a reverse proxy in front of Icecast may add).

A long-lived body can also be handed over as it arrives (``HttpResponse.deliver_body``):
a plain body (no length, not chunked: what Icecast sends) then goes from the transport's read
callback straight to a callback. A live room arrives as one small Ogg page per TCP segment, 50
a second; that path spares each one the reader's future, a task switch and an extra turn of
the event loop, and every read lands in one reused buffer (see ``_StreamProtocol``).

Everything here runs on the event loop; nothing blocks. Timeouts are the caller's business
(wrap calls in ``asyncio.timeout``); every function closes its socket if it fails or is
cancelled.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

MAX_HEAD_BYTES = 16_384
MAX_REDIRECTS = 5
DELIVER_READ_BYTES = 16_384  # per read, for bodies that are not handed over as they arrive
RECV_BYTES = 65_536  # the socket read buffer (Icecast's default burst fits in one read)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_STATUS_LINE = re.compile(r"(HTTP/1\.[01]|ICY) ([0-9]{3})(?: (.*))?")
# Everything printable except space stays as written (including %-escapes); spaces, control
# characters and non-ASCII are %-encoded, so a URL can never inject a header line.
_PATH_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


class HttpProtocolError(Exception):
    """The peer answered with something that is not an HTTP response we understand."""


@dataclass(frozen=True)
class HttpResponseHead:
    protocol: str  # "HTTP/1.0", "HTTP/1.1" or "ICY"
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "

    @property
    def media_type(self) -> str:
        """Content-Type without parameters, lower case; "" when absent."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def parse_room_url(url: str) -> tuple[str, int, str]:
    """Split an ``http://`` URL into (host, port, path-with-query); ValueError when unusable."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("room URL is empty")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "https":
        raise ValueError(f"https rooms are not supported yet: {url!r}")
    if scheme != "http":
        raise ValueError(f"room URL must start with http:// (got {url!r})")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"credentials in room URLs are not supported: {url!r}")
    host = parts.hostname
    if not host:
        raise ValueError(f"room URL has no host: {url!r}")
    try:
        port = parts.port or 80
    except ValueError:
        raise ValueError(f"room URL has an invalid port: {url!r}") from None
    if any(char.isspace() for char in host) or not _is_idna_encodable(host):
        raise ValueError(f"room URL has an invalid host: {url!r}")
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_PATH_SAFE)
    return host, port, path


def _is_idna_encodable(host: str) -> bool:
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def build_get_request(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    """The request head: ``GET path HTTP/1.1``, Host, the given headers, Connection: close."""
    host_field = f"[{host}]" if ":" in host else host  # IPv6 literal
    if port != 80:
        host_field += f":{port}"
    lines = [f"GET {path} HTTP/1.1", f"Host: {host_field}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


async def read_response_head(
    reader: asyncio.StreamReader, max_head_bytes: int = MAX_HEAD_BYTES
) -> HttpResponseHead:
    """Read the status line and headers.

    Raises ``ConnectionError`` when the peer closes before sending a single byte (it never
    answered) and ``HttpProtocolError`` for anything malformed, oversized or truncated.
    """
    budget = max_head_bytes
    status_line = await _read_line(reader, budget, first=True)
    budget -= len(status_line)
    match = _STATUS_LINE.fullmatch(_decode(status_line).rstrip("\r\n"))
    if match is None:
        raise HttpProtocolError(f"bad status line {_preview(status_line)}")
    headers: dict[str, str] = {}
    while (line := await _read_line(reader, budget)) not in (b"\r\n", b"\n"):
        budget -= len(line)
        name, colon, value = _decode(line).partition(":")
        if not colon or not name.strip():
            continue  # be lenient: a junk header line must not cost the listener the room
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return HttpResponseHead(match[1], int(match[2]), (match[3] or "").strip(), headers)


async def _read_line(reader: asyncio.StreamReader, budget: int, *, first: bool = False) -> bytes:
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if first and not exc.partial:
            raise ConnectionError("server closed the connection without answering") from None
        raise HttpProtocolError("response head cut short") from None
    except asyncio.LimitOverrunError:
        raise HttpProtocolError("response head line too long") from None
    if len(line) > budget:
        raise HttpProtocolError(f"response head larger than {MAX_HEAD_BYTES} bytes")
    return line


def _decode(raw: bytes) -> str:
    # Icecast passes the source's ice-* headers through raw; sources send UTF-8.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _preview(raw: bytes) -> str:
    return repr(raw[:40].decode("latin-1").rstrip("\r\n"))


class BodyReader:
    """Reads a response body; ``read(n)`` returns up to n bytes as soon as any arrive.

    Returns b"" at the end of the body. Raises ``OSError`` on resets and
    ``HttpProtocolError`` on broken chunked framing.
    """

    def __init__(self, reader: asyncio.StreamReader, head: HttpResponseHead) -> None:
        self._reader = reader
        encoding = head.headers.get("transfer-encoding", "").lower()
        self._chunked = "chunked" in encoding
        length = head.headers.get("content-length")
        self._remaining: int | None = None  # bytes left in the body (or in this chunk)
        if not self._chunked and length is not None:
            if not length.isdigit():
                raise HttpProtocolError(f"bad Content-Length {length!r}")
            self._remaining = int(length)
        self._chunk_remaining = 0
        self._chunk_ended = False  # a chunk's data was read; its CRLF was not
        self._done = False

    @property
    def plain(self) -> bool:
        """The body is the rest of the connection: no length, no chunking (Icecast's way)."""
        return not self._chunked and self._remaining is None

    async def _take_buffered(self) -> bytes:
        """Everything the stream reader holds, at once; the reader is not used afterwards.

        Raises the error that ended the connection, if one did.
        """
        self._reader.feed_eof()  # so that read() returns what it holds instead of waiting
        return await self._reader.read()

    async def read(self, max_bytes: int) -> bytes:
        if self._done:
            return b""
        if self._chunked:
            return await self._read_chunked(max_bytes)
        if self._remaining is not None:
            if self._remaining == 0:
                self._done = True
                return b""
            max_bytes = min(max_bytes, self._remaining)
        data = await self._reader.read(max_bytes)
        if self._remaining is not None:
            self._remaining -= len(data)
        self._done = not data
        return data

    async def _read_chunked(self, max_bytes: int) -> bytes:
        if self._chunk_remaining == 0:
            if self._chunk_ended and await self._chunk_line() not in (b"\r\n", b"\n"):
                raise HttpProtocolError("chunk not followed by CRLF")
            size_line = await self._chunk_line()
            if not size_line:
                self._done = True  # EOF between chunks: the stream is over
                return b""
            size_text = size_line.split(b";", 1)[0].strip()
            try:
                self._chunk_remaining = int(size_text, 16)
            except ValueError:
                raise HttpProtocolError(f"bad chunk size {_preview(size_line)}") from None
            if self._chunk_remaining == 0:
                self._done = True  # last chunk; trailers are not worth reading
                return b""
        data = await self._reader.read(min(max_bytes, self._chunk_remaining))
        if not data:
            self._done = True
            return b""
        self._chunk_remaining -= len(data)
        # The CRLF after a chunk is consumed by the next read, so these bytes go out now
        # even if the sender flushed them before the CRLF.
        self._chunk_ended = self._chunk_remaining == 0
        return data

    async def _chunk_line(self) -> bytes:
        try:
            return await self._reader.readline()
        except ValueError:  # StreamReader's way of saying the line exceeds its limit
            raise HttpProtocolError("chunk size line too long") from None


class _StreamProtocol(asyncio.StreamReaderProtocol, asyncio.BufferedProtocol):
    """The connection's protocol: feeds the StreamReader until ``divert`` hands every later
    byte to a callback instead.

    Before ``divert``: the response head, ``BodyReader.read``. After it, each read goes to
    ``on_data`` directly and the end of the connection resolves ``ended``: None at EOF, the
    error on a reset, or what ``on_data`` raised (nothing more is delivered after that).

    Buffered (``recv_into`` one preallocated buffer): for a plain protocol asyncio allocates
    a 256 KiB bytes object per read and shrinks it to the ~300 bytes a live room delivers,
    which cost a third of this thread's CPU at 50 reads a second.
    """

    _on_data: Callable[[bytes], None] | None = None
    _ended: asyncio.Future[None] | None = None
    _connection_over = False  # EOF or connection lost, before or after divert
    _poll_socket: socket.socket | None = None
    _poll_timer: asyncio.TimerHandle | None = None
    _poll_interval_s = 0.0

    def __init__(self, reader: asyncio.StreamReader, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(reader, loop=loop)
        self._recv_view = memoryview(bytearray(RECV_BYTES))
        self._event_loop = loop
        self._socket_transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert isinstance(transport, asyncio.Transport)
        self._socket_transport = transport

    def divert(self, on_data: Callable[[bytes], None], ended: asyncio.Future[None]) -> None:
        self._on_data, self._ended = on_data, ended
        if self._connection_over:
            ended.set_result(None)  # an error is the StreamReader's to raise

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._recv_view

    def buffer_updated(self, nbytes: int) -> None:
        data = bytes(self._recv_view[:nbytes])
        on_data, ended = self._on_data, self._ended
        if on_data is None:
            self.data_received(data)  # StreamReaderProtocol's: into the StreamReader
        elif not ended.done():  # type: ignore[union-attr]
            try:
                on_data(data)
            except Exception as exc:
                ended.set_exception(exc)  # type: ignore[union-attr]

    def poll_every(self, interval_s: float) -> None:
        """From now on read the socket on a timer, every ``interval_s``, instead of when the
        selector says it is readable (see ``HttpResponse.pace_reads``). Only after ``divert``."""
        transport = self._socket_transport
        if self._poll_socket is not None or transport is None or self._connection_over:
            return
        # A handle of our own on the connection (a dup of its descriptor): asyncio's socket
        # object is left alone, and reading stops on the transport so that only we read.
        fileno = transport.get_extra_info("socket").fileno()
        self._poll_socket = socket.socket(fileno=os.dup(fileno))
        self._poll_socket.setblocking(False)
        transport.pause_reading()
        self._poll_interval_s = interval_s
        self._poll_timer = self._event_loop.call_later(interval_s, self._poll)

    def _poll(self) -> None:
        poll_socket, view = self._poll_socket, self._recv_view
        if poll_socket is None:
            return
        while True:
            try:
                nbytes = poll_socket.recv_into(view)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self._stop_polling()
                self._end(exc)
                return
            if nbytes == 0:
                self._stop_polling()
                self._end(None)
                return
            self.buffer_updated(nbytes)
            if nbytes < len(view) or self._poll_socket is None:
                break
        if self._poll_socket is not None:
            self._poll_timer = self._event_loop.call_later(self._poll_interval_s, self._poll)

    def _stop_polling(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.cancel()
            self._poll_timer = None
        if self._poll_socket is not None:
            self._poll_socket.close()  # our duplicate only; the transport closes its own
            self._poll_socket = None

    def eof_received(self) -> bool:
        self._end(None)
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_polling()
        self._end(exc)
        super().connection_lost(exc)

    def _end(self, exc: Exception | None) -> None:
        self._connection_over = True
        ended = self._ended
        if ended is None or ended.done():
            return
        if exc is None:
            ended.set_result(None)
        else:
            ended.set_exception(exc)


async def _open_connection(
    host: str, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """``asyncio.open_connection`` with our protocol (the stdlib's own recipe)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(loop=loop)
    protocol = _StreamProtocol(reader, loop)
    transport, _ = await loop.create_connection(lambda: protocol, host, port)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


@dataclass
class HttpResponse:
    """An open response: the head, its body reader, and the socket to close."""

    url: str  # after redirects
    head: HttpResponseHead
    body: BodyReader
    writer: asyncio.StreamWriter

    async def deliver_body(self, on_data: Callable[[bytes], None]) -> None:
        """Call ``on_data`` with the body's bytes as they arrive; return when it ends.

        Raises ``OSError`` on resets, ``HttpProtocolError`` on broken chunked framing, and
        whatever ``on_data`` raises. A plain body is delivered from the transport's
        callbacks (see the module docstring); others through ``body.read``. Use either this
        or ``body.read``, not both. Cancelling it leaves the connection to ``close()``.
        """
        protocol = self.writer.transport.get_protocol()
        if not self.body.plain or not isinstance(protocol, _StreamProtocol):
            while data := await self.body.read(DELIVER_READ_BYTES):
                on_data(data)
            return
        ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # No other callback runs before the await below: the bytes that came with the head
        # are handed over first, and everything after them in order.
        protocol.divert(on_data, ended)
        if buffered := await self.body._take_buffered():
            on_data(buffered)
        await ended

    def pace_reads(self, interval_s: float) -> None:
        """Read the body every ``interval_s`` on a timer rather than at every segment the
        network brings; what arrived meanwhile comes in one read. Only while delivering."""
        protocol = self.writer.transport.get_protocol()
        if isinstance(protocol, _StreamProtocol) and interval_s > 0:
            protocol.poll_every(interval_s)

    def close(self) -> None:
        """Drop the connection at once (no lingering: a listener has nothing left to say)."""
        self.writer.transport.abort()


async def open_http_get(
    url: str, headers: dict[str, str], *, max_redirects: int = MAX_REDIRECTS
) -> HttpResponse:
    """GET ``url`` following redirects; the caller must ``close()`` the response.

    Raises ``ValueError`` for unusable URLs (including redirect targets), ``OSError``
    when the server cannot be reached or closes without answering, and
    ``HttpProtocolError`` for malformed responses or too many redirects.
    """
    for _ in range(max_redirects + 1):
        host, port, path = parse_room_url(url)
        reader, writer = await _open_connection(host, port)
        try:
            writer.write(build_get_request(host, port, path, headers))
            await writer.drain()
            head = await read_response_head(reader)
            location = head.headers.get("location")
            if head.status in REDIRECT_STATUSES and location:
                writer.transport.abort()
                url = urljoin(url, location)
                continue
            return HttpResponse(url, head, BodyReader(reader, head), writer)
        except BaseException:
            writer.transport.abort()
            raise
    raise HttpProtocolError(f"more than {max_redirects} redirects")
