"""The HTTP layer under RoomStream: URLs, the request, response heads and bodies.

Byte streams are replayed in random 1-9 byte pieces: a parser that only works when a whole
line arrives at once fails here.
"""

from __future__ import annotations

import asyncio
import random
import struct
from socket import SO_LINGER, SOL_SOCKET

import pytest

from device.sources.http_stream import (
    BodyReader,
    HttpProtocolError,
    HttpResponseHead,
    build_get_request,
    open_http_get,
    parse_room_url,
    read_response_head,
)


def piecewise_reader(raw: bytes, seed: int = 0) -> asyncio.StreamReader:
    """A StreamReader fed ``raw`` in random 1-9 byte pieces, one piece per loop turn, then EOF."""
    reader = asyncio.StreamReader()
    rng = random.Random(seed)

    async def feed() -> None:
        offset = 0
        while offset < len(raw):
            size = rng.randint(1, 9)
            reader.feed_data(raw[offset : offset + size])
            offset += size
            await asyncio.sleep(0)
        reader.feed_eof()

    reader.feeder = asyncio.create_task(feed())  # type: ignore[attr-defined]  # keep it alive
    return reader


def head_of(raw: bytes, seed: int = 0) -> HttpResponseHead:
    async def main() -> HttpResponseHead:
        return await read_response_head(piecewise_reader(raw, seed))

    return asyncio.run(main())


def body_of(head_raw: bytes, body_raw: bytes, seed: int, max_bytes: int = 7) -> bytes:
    async def main() -> bytes:
        reader = piecewise_reader(head_raw + body_raw, seed)
        body = BodyReader(reader, await read_response_head(reader))
        out = bytearray()
        while data := await body.read(max_bytes):
            assert len(data) <= max_bytes
            out += data
        return bytes(out)

    return asyncio.run(main())


# -- URLs and the request ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://radio.example/room", ("radio.example", 80, "/room")),
        ("HTTP://Radio.Example:8000/room.opus?x=1#frag", ("radio.example", 8000, "/room.opus?x=1")),
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000, "/")),
        ("http://[::1]:8000/r", ("::1", 8000, "/r")),
        ("  http://h/caf\u00e9 au lait  ", ("h", 80, "/caf%C3%A9%20au%20lait")),
        ("http://h/already%20quoted", ("h", 80, "/already%20quoted")),
    ],
)
def test_room_url_is_split_and_its_path_made_safe(url, expected):
    assert parse_room_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "room URL is empty"),
        ("https://radio.example/room", "https rooms are not supported yet"),
        ("ftp://radio.example/room", "room URL must start with http://"),
        ("radio.example/room", "room URL must start with http://"),
        ("http:///room", "room URL has no host"),
        ("http://radio.example:99999/room", "invalid port"),
        ("http://radio.example:abc/room", "invalid port"),
        ("http://user:secret@radio.example/room", "credentials in room URLs are not supported"),
    ],
)
def test_unusable_room_url_is_refused_with_a_clear_message(url, message):
    with pytest.raises(ValueError, match=message):
        parse_room_url(url)


def test_request_head_is_exact():
    request = build_get_request("::1", 8000, "/room", {"User-Agent": "drivetime-unit/0.1"})
    assert request == (
        b"GET /room HTTP/1.1\r\nHost: [::1]:8000\r\nUser-Agent: drivetime-unit/0.1\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert b"Host: radio.example\r\n" in build_get_request("radio.example", 80, "/", {})


# -- response heads ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_icecast_head_is_parsed_from_any_split(seed):
    raw = (
        b"HTTP/1.0 200 OK\r\nContent-Type: Application/Ogg; codecs=opus\r\n"
        b"icy-name: Caf\xc3\xa9 Nights\r\nX-Twice: a\r\nx-twice: b\r\n"
        b"this line is junk\r\nServer: Icecast 2.4.4\r\n\r\nOggS"
    )
    head = head_of(raw, seed)
    assert (head.protocol, head.status, head.reason) == ("HTTP/1.0", 200, "OK")
    assert head.media_type == "application/ogg"
    assert head.headers["icy-name"] == "Café Nights"
    assert head.headers["x-twice"] == "a, b"
    assert head.headers["server"] == "Icecast 2.4.4"
    assert len(head.headers) == 4


@pytest.mark.parametrize(
    ("raw", "protocol", "status", "reason"),
    [
        (b"ICY 200 OK\r\ncontent-type:audio/ogg\r\n\r\n", "ICY", 200, "OK"),
        (b"HTTP/1.1 404\n\n", "HTTP/1.1", 404, ""),  # bare LF, no reason phrase
        (b"HTTP/1.1 503 Service Unavailable\r\n\r\n", "HTTP/1.1", 503, "Service Unavailable"),
    ],
)
def test_status_line_variants(raw, protocol, status, reason):
    head = head_of(raw)
    assert (head.protocol, head.status, head.reason) == (protocol, status, reason)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html>hello</html>\r\n\r\n", "bad status line '<html>hello</html>'"),
        (b"HTTP/2 200\r\n\r\n", "bad status line"),
        (b"HTTP/1.0 200 OK\r\nContent-Type: audio/ogg\r\n", "response head cut short"),
        (b"HTTP/1.0 200 OK\r\n" + b"X-Pad: " + b"a" * 20_000 + b"\r\n\r\n", "larger than"),
        (b"HTTP/1.0 200 OK", "response head cut short"),
    ],
)
def test_malformed_head_is_a_protocol_error(raw, message):
    with pytest.raises(HttpProtocolError, match=message):
        head_of(raw)


def test_silent_hang_up_is_a_connection_error_not_a_protocol_error():
    with pytest.raises(ConnectionError, match="without answering"):
        head_of(b"")


# -- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_chunked_body_from_any_split(seed):
    payload = random.Random(seed).randbytes(300)
    parts = [payload[:1], payload[1:100], payload[100:]]
    chunked = b"".join(b"%X;ext=1\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert body_of(head, chunked + b"ignored after the last chunk", seed) == payload


def test_body_stops_at_content_length():
    head = b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n"
    assert body_of(head, b"0123456789 and more", seed=1) == b"0123456789"


def test_body_without_length_runs_to_eof():
    assert body_of(b"ICY 200 OK\r\n\r\n", b"x" * 100, seed=2) == b"x" * 100


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"zz\r\nabc\r\n", "bad chunk size"),
        (b"3\r\nabcXY\r\n", "chunk not followed by CRLF"),
        (b"0" * 70_000 + b"1\r\nx\r\n", "chunk size line too long"),
    ],
)
def test_broken_chunking_is_a_protocol_error(body, message):
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    with pytest.raises(HttpProtocolError, match=message):
        body_of(head, body, seed=3)


def test_bad_content_length_is_a_protocol_error():
    with pytest.raises(HttpProtocolError, match="bad Content-Length"):
        body_of(b"HTTP/1.0 200 OK\r\nContent-Length: -5\r\n\r\n", b"", seed=4)


# -- bodies handed over as they arrive ---------------------------------------------------------


async def _serve_once(actions: list[bytes | float | None]) -> tuple[asyncio.Server, str]:
    """A loopback server: after the request, each bytes item is written, each float slept,
    None resets the connection; then it closes. Returns the server and its URL."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for action in actions:
            if action is None:  # RST: SO_LINGER 0, then close
                linger = struct.pack("ii", 1, 0)
                writer.get_extra_info("socket").setsockopt(SOL_SOCKET, SO_LINGER, linger)
                writer.transport.abort()
                return
            if isinstance(action, float):
                await asyncio.sleep(action)
            else:
                writer.write(action)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/room"


def _deliver(actions: list[bytes | float | None]) -> tuple[list[bytes], BaseException | None]:
    async def main() -> tuple[list[bytes], BaseException | None]:
        server, url = await _serve_once(actions)
        received: list[bytes] = []
        response = await open_http_get(url, {})
        try:
            await response.deliver_body(received.append)
        except Exception as exc:
            return received, exc
        finally:
            response.close()
            server.close()
        return received, None

    return asyncio.run(asyncio.wait_for(main(), 10))


def test_plain_body_is_handed_over_in_order_from_the_bytes_sent_with_the_head():
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/ogg\r\n\r\n"
    pieces = [random.Random(seed).randbytes(700) for seed in range(4)]
    # The first piece travels with the head, so the head's reader holds it when delivery
    # starts; the rest arrives afterwards, one write at a time.
    received, error = _deliver([head + pieces[0], 0.05, pieces[1], 0.01, pieces[2], pieces[3]])
    assert error is None  # the server closed: the body ended
    assert b"".join(received) == b"".join(pieces)


def test_reset_while_a_plain_body_streams_is_an_os_error():
    head = b"ICY 200 OK\r\n\r\n"
    received, error = _deliver([head, b"x" * 100, 0.05, None])
    assert b"".join(received) == b"x" * 100
    assert isinstance(error, OSError)


def test_a_failing_consumer_stops_delivery_and_its_error_comes_back():
    def explode(data: bytes) -> None:
        raise RuntimeError(f"consumer bug after {len(data)} bytes")

    async def main() -> BaseException | None:
        server, url = await _serve_once([b"ICY 200 OK\r\n\r\n", 0.05, b"abc", 0.05, b"more"])
        response = await open_http_get(url, {})
        try:
            await response.deliver_body(explode)
        except RuntimeError as exc:
            return exc
        finally:
            response.close()
            server.close()
        return None

    error = asyncio.run(asyncio.wait_for(main(), 10))
    assert str(error) == "consumer bug after 3 bytes"


def test_chunked_and_sized_bodies_are_delivered_decoded():
    payload = random.Random(9).randbytes(3000)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (payload[:1000], payload[1000:]))
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    received, error = _deliver([head, chunked + b"0\r\n\r\n"])
    assert error is None and b"".join(received) == payload
    sized = b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n"
    received, error = _deliver([sized, payload])
    assert error is None and b"".join(received) == payload[:1000]


def test_a_body_that_ended_before_delivery_started_is_delivered_and_ends():
    # Head, body and EOF may all be in before deliver_body starts: it must not wait for more.
    for seed in range(5):
        body = random.Random(seed).randbytes(5000)
        received, error = _deliver([b"ICY 200 OK\r\n\r\n" + body])
        assert error is None and b"".join(received) == body
