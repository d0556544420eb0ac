"""Fetch one small HTTP document (a status page, a playlist) whole, with a deadline and a cap.

Built on the room stream's HTTP client (:mod:`device.sources.http_stream`), so redirects,
chunked bodies and odd status lines are handled the same way everywhere. Every failure
becomes a :class:`DirectoryError` naming the URL and the reason. Runs on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from device.sources.directory.entries import DirectoryError
from device.sources.http_stream import (
    BodyReader,
    HttpProtocolError,
    HttpResponseHead,
    open_http_get,
)

USER_AGENT = "drivetime-unit/0.1 (directory)"
READ_BYTES = 65_536


@dataclass(frozen=True)
class Document:
    url: str  # after redirects
    head: HttpResponseHead
    body: bytes


async def fetch_document(
    url: str,
    *,
    what: str,
    timeout_s: float,
    max_bytes: int,
    accept: str = "*/*",
    check_head: Callable[[str, HttpResponseHead], None] | None = None,
) -> Document:
    """GET ``url`` and read the whole body within ``timeout_s`` (connect included).

    ``what`` names the document in error messages ("Icecast status"). ``check_head(url,
    head)`` may raise ``DirectoryError`` to refuse a 200 response before its body is read
    (an endless audio stream where a playlist was expected). Raises ``DirectoryError`` for
    an unusable URL, no connection, a stall, a status other than 200, garbage instead of
    HTTP, or a body over ``max_bytes``.
    """
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    try:
        async with asyncio.timeout(timeout_s):
            response = await open_http_get(url, headers)
            try:
                head = response.head
                if head.status != 200:
                    status = f"{head.status} {head.reason}".strip()
                    raise DirectoryError(f"{what} {url}: the server answered HTTP {status}")
                if check_head is not None:
                    check_head(response.url, head)
                body = await _read_body(response.body, max_bytes, what, url)
            finally:
                response.close()
    except TimeoutError:
        raise DirectoryError(f"{what} {url}: no complete answer within {timeout_s:g} s") from None
    except ValueError as exc:
        raise DirectoryError(f"{what} {url}: {exc}") from None
    except HttpProtocolError as exc:
        raise DirectoryError(f"{what} {url}: not a valid HTTP answer ({exc})") from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise DirectoryError(f"{what} {url}: cannot connect ({reason})") from None
    return Document(response.url, head, body)


async def _read_body(body_reader: BodyReader, max_bytes: int, what: str, url: str) -> bytes:
    body = bytearray()
    while data := await body_reader.read(READ_BYTES):
        body += data
        if len(body) > max_bytes:
            raise DirectoryError(f"{what} {url}: larger than {max_bytes // 1024} KiB, not read")
    return bytes(body)
