"""A live room source: feeds one Icecast mount with the room's programme in real time.

It speaks the Icecast 2.4 source protocol: ``PUT /mount HTTP/1.1`` with basic auth
``source:<password>``, ``Content-Type: application/ogg`` and the ``Ice-*`` directory headers,
then Ogg pages for as long as it runs. Pages are paced by a deadline schedule on a monotonic
clock: frame *f* (programme samples ``[960 f, 960 (f + 1))``) is sent when its last sample
would have been captured, at ``start + (f + 1) * 20 ms``. Deadlines are absolute, so pacing
never drifts; a late sender catches up at once.

If the connection drops, the source reconnects (backing off up to 1 s) and carries on with the
frame that is due *now*, in a new chain link, as a live show would: the audio of the outage is
lost, not delayed. A wrong password (401) ends the source with :class:`SourceAuthError`; a
mount that already has a source (403) is :class:`MountBusyError` on the first connection and
retried on reconnects (the server may not have noticed the old connection died yet).

Threading: :meth:`RoomSource.start` connects in the calling thread (raising connection errors
there) and streams in a daemon thread until :meth:`RoomSource.stop`; :meth:`RoomSource.run`
does the same in the calling thread (for the CLI). Counters may be read from any thread.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from studio.chain import ChainEncoder, write_file
from studio.program import FRAME_SAMPLES, RATE_HZ, Programme
from studio.rooms import RoomSpec, Song

FRAME_S = FRAME_SAMPLES / RATE_HZ
RECONNECT_BACKOFF_S = (0.05, 0.1, 0.2, 0.5, 1.0)


class RoomSourceError(RuntimeError):
    """The source could not feed its mount."""


class SourceAuthError(RoomSourceError):
    """Icecast answered 401: the source password is wrong."""


class MountBusyError(RoomSourceError):
    """Icecast answered 403: the mount already has a source (or the server refuses more)."""


class RoomSource:
    """Streams ``room`` to ``mount_url`` (``http://host:port/mount``); see the module doc."""

    def __init__(
        self,
        mount_url: str,
        password: str,
        room: RoomSpec,
        *,
        bitrate: int = 96_000,
        page_ms: int = 20,
        song_s: float = 8.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock_ns: Callable[[], int] = time.time_ns,
        connect_timeout_s: float = 5.0,
    ) -> None:
        url = urllib.parse.urlsplit(mount_url)
        if url.scheme != "http" or not url.hostname or len(url.path) < 2:
            raise ValueError(f"mount_url must look like http://host:port/mount, got {mount_url!r}")
        self.mount_url = mount_url
        self.room = room
        self.song_s = song_s
        self.bitrate = bitrate
        self.page_ms = page_ms
        self._host, self._port, self._path = url.hostname, url.port or 80, url.path
        self._password = password
        self._clock = clock
        self._wall_clock_ns = wall_clock_ns
        self._connect_timeout_s = connect_timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._chain: ChainEncoder | None = None
        self._start_mono = 0.0
        self.bytes_sent = 0
        self.connections = 0  # successful connections, reconnects included
        self.error: BaseException | None = None  # why streaming ended, if not by stop()

    # -- public API --------------------------------------------------------------------------

    @property
    def links(self) -> list[tuple[int, Song]]:
        """(serial, song) of every link started so far, oldest first."""
        return list(self._chain.links) if self._chain else []

    @property
    def now_playing(self) -> Song | None:
        return self._chain.now_playing if self._chain else None

    @property
    def start_monotonic(self) -> float:
        """Clock time of programme sample 0: frame *f* is sent at ``start + (f + 1) * 20 ms``,
        so the marker of programme second *k* leaves at about ``start + k`` s."""
        return self._start_mono

    @property
    def audio_sent_s(self) -> float:
        """Seconds of programme encoded and handed to the connection so far."""
        return self._chain.frame_index * FRAME_S if self._chain else 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> RoomSource:
        """Connect (raising :class:`RoomSourceError` subclasses or ``OSError`` here), then
        stream in a background thread."""
        if self._thread is not None:
            raise RoomSourceError("RoomSource already started")
        self._begin()
        self._thread = threading.Thread(
            target=self._stream_safely, name=f"room-source {self._path}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop streaming and close the connection (listeners see the end of the stream)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def run(self) -> None:
        """Connect and stream in the calling thread until :meth:`stop` is called from another
        thread; raises the error that ended streaming, if any."""
        self._begin()
        self._stream_safely()
        if self.error is not None:
            raise self.error

    def write_file(self, path: str | Path, seconds: float) -> list[tuple[int, Song]]:
        """Render ``seconds`` of this source's programme to a chained ``.opus`` file."""
        return write_file(
            path, self.room, seconds, song_s=self.song_s, bitrate=self.bitrate, page_ms=self.page_ms
        )

    def __enter__(self) -> RoomSource:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- streaming ---------------------------------------------------------------------------

    def _begin(self) -> None:
        programme = Programme.for_room(self.room, song_s=self.song_s)
        programme.prepare()  # all rendering happens here, never between paced frames
        self._sock = self._connect()
        self._start_mono = self._clock()
        start_wall_ns = self._wall_clock_ns()
        self._chain = ChainEncoder(
            self.room,
            programme,
            wall_ns_of_sample=lambda s: start_wall_ns + s * 1_000_000_000 // RATE_HZ,
            bitrate=self.bitrate,
            page_ms=self.page_ms,
        )

    def _stream_safely(self) -> None:
        try:
            self._stream()
        except BaseException as exc:  # recorded for the owner thread; the thread just ends
            self.error = exc
        finally:
            self._close()

    def _stream(self) -> None:
        chain = self._chain
        assert chain is not None
        while not self._stop.is_set():
            due = self._start_mono + (chain.frame_index + 1) * FRAME_S
            delay = due - self._clock()
            if delay > 0 and self._stop.wait(delay):
                break
            data = chain.next_frame()
            try:
                self._send(data)
            except OSError:
                self._reconnect(chain)
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._send(chain.finish())  # a clean end of stream for the listeners

    def _send(self, data: bytes) -> None:
        assert self._sock is not None
        self._sock.sendall(data)
        self.bytes_sent += len(data)

    def _reconnect(self, chain: ChainEncoder) -> None:
        self._close()
        attempt = 0
        while not self._stop.is_set():
            try:
                self._sock = self._connect()
            except SourceAuthError:
                raise
            except (OSError, MountBusyError):
                delay = RECONNECT_BACKOFF_S[min(attempt, len(RECONNECT_BACKOFF_S) - 1)]
                attempt += 1
                self._stop.wait(delay)
                continue
            now_frame = int((self._clock() - self._start_mono) / FRAME_S)
            chain.skip_to(now_frame)  # its EOS page belongs to the dead connection
            return

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self._host, self._port), self._connect_timeout_s)
        try:
            sock.sendall(self._request())
            status, reason = _read_status(sock)
        except BaseException:
            sock.close()
            raise
        if status == 200:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # 20 ms pages, no delay
            sock.settimeout(self._connect_timeout_s)
            self.connections += 1
            return sock
        sock.close()
        where = f"{self._path} on {self._host}:{self._port}"
        if status == 401:
            raise SourceAuthError(f"Icecast rejected the source password for {where} (401)")
        if status == 403:
            raise MountBusyError(
                f"Icecast refused a source for {where} (403 {reason}): the mount already has "
                "a source, or the server's source limit is reached"
            )
        raise RoomSourceError(f"Icecast answered {status} {reason} to the source for {where}")

    def _request(self) -> bytes:
        credentials = base64.b64encode(f"source:{self._password}".encode()).decode()
        headers = {
            "Host": f"{self._host}:{self._port}",
            "Authorization": f"Basic {credentials}",
            "User-Agent": "drivetime-studio",
            "Content-Type": "application/ogg",
            "Ice-Name": self.room.name,
            "Ice-Description": self.room.description,
            "Ice-Genre": self.room.genre,
            "Ice-Public": "0",
            "Ice-Bitrate": str(self.bitrate // 1000),
        }
        lines = [f"PUT {self._path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
        # Icecast keeps header bytes as they are: UTF-8 names and #hashtags reach the directory.
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


def _read_status(sock: socket.socket) -> tuple[int, str]:
    """Read the response head Icecast sends before any audio; return (status, reason)."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
        if len(head) > 16384:
            break
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise RoomSourceError(f"not an HTTP answer from Icecast: {status_line!r}")
    body = (
        head.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace").strip()
        if b"\r\n\r\n" in head
        else ""
    )
    reason = parts[2] if len(parts) > 2 else ""
    return int(parts[1]), f"{reason}: {body}" if body else reason
