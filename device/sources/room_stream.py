"""Keeps one room (an Icecast Ogg/Opus mount) flowing: connect, stream, detect, back off, retry.

``RoomStream.run()`` never gives up on its own: every problem (room ended, full, server down,
stall, reset) is reported through ``on_state`` and retried with exponential backoff, because
rooms come back (a host's phone reconnects, a full room frees a slot). The caller stops it by
cancelling the task.

Failure classification (what the user is told):

* before any response arrives — connect refused, DNS failure, connection closed or reset
  before a status line, or no response head within ``connect_timeout_s`` (a server that
  accepts but never answers) — is ``UNREACHABLE``: no stream ever started;
* a response: 401/403 ``FULL_OR_PRIVATE``, 404/410 ``ENDED``, other statuses and garbage
  ``SERVER_ERROR``, a 200 that is not Ogg ``UNSUPPORTED``;
* after the stream started: no byte for ``stall_timeout_s`` is ``STALLED`` (Icecast keeps a
  stalled listener and would later deliver stale backlog, so we reconnect to the live edge);
  EOF or reset is ``DISCONNECTED``.

Callbacks run on the event loop thread, in order, and MUST NOT block; an exception raised by
a callback is a bug in the caller and ends ``run()``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from device.audio.media_types import MP3_MEDIA_TYPES, OGG_MEDIA_TYPES
from device.sources.backoff import Backoff
from device.sources.http_stream import (
    HttpProtocolError,
    HttpResponse,
    open_http_get,
    parse_room_url,
)

__all__ = [
    "MP3_MEDIA_TYPES",
    "OGG_MEDIA_TYPES",
    "RoomProblem",
    "RoomStream",
    "RoomStreamConfig",
    "RoomStreamState",
    "RoomStreamStats",
    "parse_room_url",
]

log = logging.getLogger(__name__)

USER_AGENT = "drivetime-unit/0.1"
MAX_READ_PAUSE_MS = 200.0
PACE_FROM_S = 2.0
# Icecast sends a source's ice-* headers to listeners renamed icy-*; we expose the ice-* names.
ROOM_HEADER_NAMES = ("name", "description", "genre")


class RoomStreamState(enum.Enum):
    CONNECTING = "connecting"  # first attempt
    STREAMING = "streaming"  # response accepted; bytes flow to on_data
    STALLED = "stalled"  # the stream stopped delivering; a retry follows
    RECONNECTING = "reconnecting"  # waiting out the backoff, then the next attempt
    ENDED = "ended"  # the room is gone (404); still retried, it may come back
    ERROR = "error"  # any other problem; see the RoomProblem


class RoomProblem(enum.Enum):
    """Why a room is not playing, with a short message fit for the screen."""

    FULL_OR_PRIVATE = "room full or private"
    ENDED = "room ended"
    UNSUPPORTED = "unsupported stream"
    UNREACHABLE = "cannot reach server"
    SERVER_ERROR = "server error"
    STALLED = "stream stalled"
    DISCONNECTED = "disconnected"

    @property
    def message(self) -> str:
        return self.value


_STATE_FOR_PROBLEM = {
    RoomProblem.STALLED: RoomStreamState.STALLED,
    RoomProblem.ENDED: RoomStreamState.ENDED,
}  # every other problem is reported as ERROR


@dataclass(frozen=True)
class RoomStreamConfig:
    connect_timeout_s: float = 5.0  # TCP connect + request + response head, all together
    stall_timeout_s: float = 4.0  # silence on an open stream before we call it stalled
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 15.0
    backoff_jitter: float = 0.5  # fraction of each delay that is randomised away
    # Bytes per read at most, for bodies read rather than handed over as they arrive
    # (chunked or sized ones; Icecast's plain bodies come as the socket delivers them).
    read_chunk: int = 16_384
    healthy_after_s: float = 10.0  # a connection that streamed this long resets the backoff
    # Once the server's burst is in, leave the socket unread this long after each delivery
    # (see _ReadPacer); 0 reads every segment the moment it arrives.
    read_pause_ms: float = 60.0

    def __post_init__(self) -> None:
        for name in ("connect_timeout_s", "stall_timeout_s", "backoff_initial_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 (got {getattr(self, name)})")
        if self.read_chunk < 1:
            raise ValueError(f"read_chunk must be >= 1 byte (got {self.read_chunk})")
        if self.healthy_after_s < 0:
            raise ValueError(f"healthy_after_s must be >= 0 (got {self.healthy_after_s})")
        if not 0 <= self.read_pause_ms <= MAX_READ_PAUSE_MS:
            raise ValueError(
                f"read_pause_ms must be 0..{MAX_READ_PAUSE_MS:g} (got {self.read_pause_ms})"
            )
        Backoff(self.backoff_initial_s, self.backoff_max_s, self.backoff_jitter)  # validates


@dataclass
class RoomStreamStats:
    connections: int = 0  # responses accepted (= the last number given to on_connected)
    bytes_received: int = 0  # body bytes handed to on_data, all connections
    reconnects: int = 0  # retries scheduled after a problem
    last_problem: RoomProblem | None = None
    last_problem_message: str = ""  # with details, e.g. "server error 503"
    last_retry_delay_s: float = 0.0


class _Failure(Exception):
    def __init__(self, problem: RoomProblem, detail: str = "", *, message: str = "") -> None:
        self.problem = problem
        self.message = message or (f"{problem.message} ({detail})" if detail else problem.message)
        super().__init__(self.message)


@dataclass
class _Connection:
    number: int
    started_at: float
    last_data_at: float = 0.0  # when body bytes last arrived (the stream's start before any)
    bytes_received: int = 0


class _ReadPacer:
    """Paces a steady stream's reads: fewer wake-ups of the event loop for the same bytes.

    Icecast writes each Ogg page as it comes (a page per 20 ms frame from our rooms), so the
    loop would wake 50 times a second and run the whole receive path for ~250 bytes each time;
    that fixed cost per wake-up was most of the event-loop thread's CPU. Once the connection
    has streamed :data:`PACE_FROM_S` (the server's burst on join is in, at full speed), the
    socket is left unread for ``read_pause_ms`` after each delivery, and what arrived meanwhile
    comes with the next read. The pause is time, not bytes: a byte threshold (``SO_RCVLOWAT``)
    was tried and caused underruns, because a variable-bitrate stream in a quiet passage
    sends far fewer bytes per second than its average. The added delay is at most the pause,
    which the live target absorbs; stalls are still seen by the stall watchdog.
    """

    def __init__(self, response: HttpResponse, pause_ms: float, started_at: float) -> None:
        self._response = response
        self._pause_s = pause_ms / 1000
        self.check_at = started_at + PACE_FROM_S if pause_ms > 0 else math.inf

    def start(self) -> None:
        """Called from ``deliver`` once ``now >= check_at``."""
        self.check_at = math.inf
        self._response.pace_reads(self._pause_s)


class _StallWatchdog:
    """Expires ``deadline`` once a connection has had no data for ``stall_s``.

    Lazy on purpose: one timer per ``stall_s`` checks ``last_data_at`` and re-arms itself for
    when the connection would be stale, instead of a timer armed and cancelled per read (a
    live room delivers 50 reads a second; the stall timeout is seconds).
    """

    def __init__(self, connection: _Connection, stall_s: float, deadline: asyncio.Timeout) -> None:
        self._connection = connection
        self._stall_s = stall_s
        self._deadline = deadline
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_at(connection.last_data_at + stall_s, self._check)

    def _check(self) -> None:
        now = self._loop.time()
        stale_at = self._connection.last_data_at + self._stall_s
        if now >= stale_at:
            self._deadline.reschedule(now)  # cancels the pump; the timeout raises TimeoutError
        else:
            self._handle = self._loop.call_at(stale_at, self._check)

    def cancel(self) -> None:
        self._handle.cancel()


class RoomStream:
    """Streams one room URL forever; see the module docstring for what is reported when."""

    def __init__(
        self,
        url: str,
        *,
        on_connected: Callable[[int], None],
        on_data: Callable[[bytes], None],
        on_state: Callable[[RoomStreamState, RoomProblem | None], None],
        config: RoomStreamConfig = RoomStreamConfig(),  # frozen: safe to share
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        parse_room_url(url)  # fail now, with a clear message, rather than in run()
        self.url = url
        self.config = config
        self.stats = RoomStreamStats()
        self.state: RoomStreamState | None = None
        self.room_headers: dict[str, str] = {}
        self.media_type = ""  # of the current response: which demuxer or decoder it needs
        self._on_connected = on_connected
        self._on_data = on_data
        self._on_state = on_state
        self._backoff = Backoff(
            config.backoff_initial_s, config.backoff_max_s, config.backoff_jitter, rng
        )
        self._sleep = sleep

    async def run(self) -> None:
        """Stream until cancelled. Cancellation closes the socket before it propagates."""
        self._set_state(RoomStreamState.CONNECTING, None)
        while True:
            connection = _Connection(self.stats.connections + 1, 0.0)
            try:
                await self._stream_once(connection)
            except _Failure as failure:
                self._report(failure)
            if self._was_healthy(connection):
                self._backoff.reset()
            delay_s = self._backoff.next_delay_s()
            self.stats.reconnects += 1
            self.stats.last_retry_delay_s = delay_s
            self._set_state(RoomStreamState.RECONNECTING, self.stats.last_problem)
            await self._sleep(delay_s)

    async def _stream_once(self, connection: _Connection) -> None:
        """One connection, from connect to its end; always ends by raising _Failure."""
        response = await self._open()
        try:
            self._accept(response)
            loop = asyncio.get_running_loop()
            connection.started_at = connection.last_data_at = loop.time()
            self.stats.connections = connection.number
            self._on_connected(connection.number)
            self._set_state(RoomStreamState.STREAMING, None)
            await self._pump(response, connection)
        finally:
            response.close()

    async def _open(self) -> HttpResponse:
        headers = {"User-Agent": USER_AGENT, "Icy-MetaData": "0"}
        timeout_s = self.config.connect_timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                return await open_http_get(self.url, headers)
        except TimeoutError:
            raise _Failure(RoomProblem.UNREACHABLE, f"no answer within {timeout_s:g} s") from None
        except OSError as exc:
            raise _Failure(RoomProblem.UNREACHABLE, _describe_os_error(exc)) from None
        except HttpProtocolError as exc:
            raise _Failure(RoomProblem.SERVER_ERROR, str(exc)) from None
        except ValueError as exc:  # a redirect to a URL we cannot follow (https, ...)
            raise _Failure(RoomProblem.UNSUPPORTED, str(exc)) from None

    def _accept(self, response: HttpResponse) -> None:
        """Raise _Failure unless the response is a 200 carrying Ogg or MP3."""
        status = response.head.status
        if status in (401, 403):
            raise _Failure(RoomProblem.FULL_OR_PRIVATE)
        if status in (404, 410):
            raise _Failure(RoomProblem.ENDED)
        if status != 200:
            problem = RoomProblem.SERVER_ERROR
            raise _Failure(problem, message=f"{problem.message} {status}")
        media_type = response.head.media_type
        if media_type not in OGG_MEDIA_TYPES | MP3_MEDIA_TYPES:
            raise _Failure(RoomProblem.UNSUPPORTED, f"Content-Type: {media_type or 'none'}")
        self.media_type = media_type
        headers = response.head.headers
        self.room_headers = {
            f"ice-{name}": headers.get(f"ice-{name}", headers.get(f"icy-{name}"))
            for name in ROOM_HEADER_NAMES
            if f"ice-{name}" in headers or f"icy-{name}" in headers
        }

    async def _pump(self, response: HttpResponse, connection: _Connection) -> None:
        """Hand the body to on_data until the connection ends or stalls (_Failure says which)."""
        loop = asyncio.get_running_loop()
        stall_s = self.config.stall_timeout_s
        pacer = _ReadPacer(response, self.config.read_pause_ms, connection.started_at)

        def deliver(data: bytes) -> None:
            now = connection.last_data_at = loop.time()
            connection.bytes_received += len(data)
            self.stats.bytes_received += len(data)
            if now >= pacer.check_at:
                pacer.start()
            self._on_data(data)

        try:
            async with asyncio.timeout(None) as deadline:
                watchdog = _StallWatchdog(connection, stall_s, deadline)
                try:
                    await response.deliver_body(deliver)
                finally:
                    watchdog.cancel()
        except TimeoutError:
            raise _Failure(RoomProblem.STALLED, f"no data for {stall_s:g} s") from None
        except OSError as exc:
            raise _Failure(RoomProblem.DISCONNECTED, _describe_os_error(exc)) from None
        except HttpProtocolError as exc:
            raise _Failure(RoomProblem.SERVER_ERROR, str(exc)) from None
        raise _Failure(RoomProblem.DISCONNECTED, "server closed the stream")

    def _was_healthy(self, connection: _Connection) -> bool:
        streamed_s = connection.last_data_at - connection.started_at
        return connection.bytes_received > 0 and streamed_s >= self.config.healthy_after_s

    def _report(self, failure: _Failure) -> None:
        log.info("room %s: %s", self.url, failure.message)
        self.stats.last_problem = failure.problem
        self.stats.last_problem_message = failure.message
        state = _STATE_FOR_PROBLEM.get(failure.problem, RoomStreamState.ERROR)
        self._set_state(state, failure.problem)

    def _set_state(self, state: RoomStreamState, problem: RoomProblem | None) -> None:
        self.state = state
        self._on_state(state, problem)


def _describe_os_error(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, socket.gaierror):
        return "host not found"
    return exc.strerror or str(exc) or type(exc).__name__
