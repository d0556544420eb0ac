"""pytest fixtures for a real Icecast on loopback and live room sources feeding it.

Import into a conftest (``from tests.support.icecast_fixture import icecast, room_source``)
or load as a plugin (``-p tests.support.icecast_fixture``).

* ``icecast`` — one server for the whole session, on a free port, Icecast's default burst.
* ``room_source`` — factory starting a :class:`~studio.room_source.RoomSource` on that server;
  each call gets its own mount (tests share the server), 1 s songs unless told otherwise; the
  source is stopped at teardown. It returns once Icecast lists the mount, so a listener that
  connects next gets the stream's headers and audio.

:class:`MountListener` is a plain-socket listener (what a test or benchmark needs to look at
the bytes a mount serves, without the unit's stream client).
"""

from __future__ import annotations

import itertools
import shutil
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from studio.icecast import Icecast
from studio.room_source import RoomSource
from studio.rooms import DEMO_ROOMS, RoomSpec

_mount_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def icecast() -> Iterator[Icecast]:
    if shutil.which("icecast2") is None:
        pytest.skip("icecast2 is not installed (apt-get install icecast2)")
    with Icecast() as server:
        yield server


RoomSourceFactory = Callable[..., RoomSource]


@pytest.fixture
def room_source(icecast: Icecast) -> Iterator[RoomSourceFactory]:
    """``room_source(room=DEMO_ROOMS[0], *, mount=None, song_s=1.0, **kwargs)``."""
    started: list[RoomSource] = []

    def start(
        room: RoomSpec = DEMO_ROOMS[0],
        *,
        mount: str | None = None,
        song_s: float = 1.0,
        **kwargs: object,
    ) -> RoomSource:
        if mount is None:
            stem = room.mount.lstrip("/").removesuffix(".opus")
            mount = f"/{stem}-{next(_mount_numbers)}.opus"
        source = RoomSource(
            icecast.mount_url(mount),
            icecast.source_password,
            replace(room, mount=mount),
            song_s=song_s,
            **kwargs,  # type: ignore[arg-type]
        )
        started.append(source.start())
        icecast.wait_for_mounts(mount)
        return source

    yield start
    for source in started:
        source.stop()


class MountListener:
    """A listener on one mount: ``GET`` over a plain socket, then raw bytes as they arrive."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout_s)
        request = f"GET {parts.path} HTTP/1.0\r\nHost: {parts.netloc}\r\nUser-Agent: test\r\n\r\n"
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"{url}: connection closed before the response head")
            head += chunk
        head, self.pending = head.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        self.headers = head.decode("latin-1")

    def read(self, max_bytes: int = 65_536, timeout_s: float = 5.0) -> bytes:
        """Bytes received so far or next (b"" at end of stream)."""
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        self.sock.settimeout(timeout_s)
        return self.sock.recv(max_bytes)

    def read_for(self, seconds: float) -> bytes:
        """Everything that arrives within ``seconds`` from now."""
        deadline = time.monotonic() + seconds
        out = bytearray()
        while (left := deadline - time.monotonic()) > 0:
            try:
                data = self.read(timeout_s=left)
            except TimeoutError:
                break
            if not data:
                break
            out += data
        return bytes(out)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> MountListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
