"""What the phone relays when the unit has no network: a room's Ogg/Opus stream, as it comes.

The phone does not decode anything: it passes the room's bytes on, cut into frames that fit
a protocol message, and the unit demuxes them exactly as it would the room's HTTP body (so
the car hears the same samples either way). A room's stream is paced by the room's server;
a local ``.opus`` file is paced here by its Ogg granule positions, about a second ahead of
real time, as a live room would arrive.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

FRAME_BYTES = 1024  # per relay frame: a few BLE values, well under a protocol message
READ_BYTES = 4096
LEAD_S = 1.0  # a file is sent this far ahead of real time
OGG_RATE = 48_000
_PAGE_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, type, granule, serial, seq, crc, n


class RelaySourceError(ValueError):
    """The room or file cannot be relayed; the message says why."""


async def relay_source(target: str) -> AsyncIterator[bytes]:
    """Frames of ``target``: an ``http://`` room URL or a path to an ``.opus`` file."""
    chunks = _room_body(target) if target.startswith("http://") else _paced_file(Path(target))
    async for chunk in chunks:
        for start in range(0, len(chunk), FRAME_BYTES):
            yield chunk[start : start + FRAME_BYTES]


async def _room_body(url: str) -> AsyncIterator[bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
    except (OSError, TimeoutError) as exc:
        raise RelaySourceError(f"cannot reach {url}: {exc}") from None
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].split()
        if len(status) < 2 or status[1] != b"200":
            raise RelaySourceError(f"{url}: the server answered {head[:40]!r}")
        while data := await reader.read(READ_BYTES):
            yield data
    except asyncio.IncompleteReadError:
        raise RelaySourceError(f"{url}: the server closed before answering") from None
    finally:
        writer.close()


async def _paced_file(path: Path) -> AsyncIterator[bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RelaySourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    started = time.monotonic()
    offset_s = 0.0  # audio of the chain links before this one
    link_s = 0.0
    serial = None
    for page in _pages(data):
        _, _, _, granule, page_serial, *_ = _PAGE_HEADER.unpack_from(page)
        if page_serial != serial:
            offset_s, link_s, serial = offset_s + link_s, 0.0, page_serial
        if granule > 0:
            link_s = granule / OGG_RATE
        due = started + offset_s + link_s - LEAD_S
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())
        yield page


def _pages(data: bytes) -> list[bytes]:
    pages, position = [], 0
    while position + _PAGE_HEADER.size <= len(data):
        if data[position : position + 4] != b"OggS":
            raise RelaySourceError(f"not an Ogg file (no page at byte {position})")
        segments = data[position + 26]
        table = data[position + 27 : position + 27 + segments]
        end = position + 27 + segments + sum(table)
        pages.append(data[position:end])
        position = end
    if not pages:
        raise RelaySourceError("not an Ogg file")
    return pages
