"""Now playing in any room, without listening to it: read the stream's tags, then hang up.

Icecast 2.4 does not publish Opus tags in its status, but a new listener receives a logical
stream's OpusHead and OpusTags (ARTIST, TITLE, ALBUM) before any audio. Which stream's,
though, was measured here: Icecast first sends its *burst* (the last ``burst-size`` bytes,
64 KB by default, several seconds of audio) starting at the headers of the song that was on
air where the burst starts, then any newer song's headers inline, then the live stream.

So there are two kinds of peek:

* default — stop at the first tags: ~1-2 KB read (~9 KB reached the kernel before the
  hang-up, measured against a 64 KB burst), no audio. The song reported can be the previous
  one for the first few seconds of a new song (up to the burst's duration: ~5 s at 96 kb/s).
  For a catalog that keeps a per-room history this is harmless, and it is what a car on a
  metered link can afford every minute for 50 rooms.
* ``live_edge=True`` — read through the burst to the live edge (see :class:`_Peek`) and
  report the newest tags: exact, but reads the whole burst (~66 KB per peek at Icecast's
  default) and takes ``LIVE_EDGE_SETTLE_S`` longer.

Hard limits: ``max_bytes`` per peek (a cover picture in METADATA_BLOCK_PICTURE can make the
tags huge; such a room is given up cleanly) and ``timeout_s`` for the whole peek. Every
failure is a :class:`PeekError` naming the room and the reason. Runs on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from device.audio.opus_stream import OpusStreamReader, StreamEvent, StreamStarted
from device.audio.packets import AudioPacket
from device.audio.pcm import OPUS_RATE
from device.sources.directory.entries import DirectoryError
from device.sources.http_stream import HttpProtocolError, HttpResponse, open_http_get

__all__ = [
    "MAX_PEEK_BYTES",
    "NowPlayingPeek",
    "PeekError",
    "peek_many",
    "peek_now_playing",
]

MAX_PEEK_BYTES = 256 * 1024
READ_BYTES = 2048  # small reads until the first tags: stop close behind them
BURST_READ_BYTES = 16_384  # then the burst is read in fewer, larger pieces
LIVE_EDGE_SETTLE_S = 0.15  # arriving in real time this long = the burst is over
LEAD_GROWTH_S = 0.05  # lead growth below this is jitter, not burst
USER_AGENT = "drivetime-unit/0.1 (now-playing peek)"
OGG_MEDIA_TYPES = frozenset({"application/ogg", "audio/ogg", "audio/opus", ""})


class PeekError(DirectoryError):
    """One room could not be peeked; ``url`` says which, the message why."""

    def __init__(self, url: str, reason: str, bytes_read: int = 0) -> None:
        super().__init__(f"now-playing peek {url}: {reason}")
        self.url = url
        self.reason = reason
        self.bytes_read = bytes_read  # body bytes consumed before giving up


@dataclass(frozen=True)
class NowPlayingPeek:
    """The song on air in one room when it was peeked.

    ``artist``/``title``/``album`` are "" when the stream does not tag them; ``serial`` is
    the Ogg serial of the song's logical stream (a new song is a new serial, even with the
    same tags). ``bytes_read`` counts response body bytes consumed; ``tags`` holds every tag
    of the stream (upper-case keys, pictures left out).
    """

    artist: str
    title: str
    album: str
    serial: int
    url: str = ""
    bytes_read: int = 0
    tags: dict[str, str] = field(default_factory=dict, repr=False)


async def peek_now_playing(
    url: str,
    *,
    timeout_s: float = 5.0,
    max_bytes: int = MAX_PEEK_BYTES,
    live_edge: bool = False,
) -> NowPlayingPeek:
    """Connect to the room at ``url``, read its stream's tags, disconnect.

    By default stops at the first tags; ``live_edge=True`` reads through the server's burst
    for the newest ones (see the module doc). If the cap or the timeout hits after some tags
    arrived, the newest of those are returned. Raises :class:`PeekError`: unreachable, HTTP
    error (403 full, 404 ended), not Ogg Opus (an MP3 room has no in-band tags), no tags
    within ``max_bytes`` or ``timeout_s``.
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be > 0, not {max_bytes}")
    peek = _Peek(url, max_bytes, LIVE_EDGE_SETTLE_S if live_edge else 0.0)
    try:
        async with asyncio.timeout(timeout_s):
            response = await open_http_get(url, {"User-Agent": USER_AGENT, "Icy-MetaData": "0"})
            try:
                await peek.read(response)
            finally:
                response.close()
    except TimeoutError:
        if peek.latest is not None:
            return peek.result()  # tags arrived; the live edge was not confirmed in time
        reason = f"no complete Opus headers within {timeout_s:g} s"
    except PeekError as exc:
        reason = exc.reason
    except ValueError as exc:  # UnsupportedStream (not Ogg Opus) and unusable URLs
        reason = str(exc)
    except HttpProtocolError as exc:
        reason = f"not a valid HTTP answer ({exc})"
    except OSError as exc:
        reason = f"cannot connect ({exc.strerror or exc})"
    else:
        return peek.result()
    raise PeekError(url, reason, peek.bytes_read) from None


class _Peek:
    """State of one peek, kept outside the reading coroutine so a timeout can still use it.

    Live edge: Icecast sends a new listener a burst of recent audio (64 KB by default, several
    seconds) *starting at an older song's headers*, then the live stream in real time. So
    the tags that count are the newest ones seen once the audio stops arriving faster than
    real time: "lead" (audio received minus time elapsed) has not grown for ``settle_s``.
    Tracking the peak lead, not a rate, copes with sources that send 1 s pages.
    """

    def __init__(self, url: str, max_bytes: int, settle_s: float) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self.settle_s = settle_s
        self.latest: StreamStarted | None = None
        self.bytes_read = 0
        self._audio_s = 0.0  # audio received since the first tags
        self._first_tags_at = 0.0
        self._peak_lead_s = 0.0
        self._peak_at = 0.0

    async def read(self, response: HttpResponse) -> None:
        head = response.head
        if head.status != 200:
            status = f"{head.status} {head.reason}".strip()
            raise PeekError(self.url, f"the server answered HTTP {status}")
        if head.media_type not in OGG_MEDIA_TYPES:
            raise PeekError(
                self.url, f"a {head.media_type} stream, not Ogg: no in-band tags to read"
            )
        reader = OpusStreamReader()
        clock = asyncio.get_running_loop().time
        while self.bytes_read <= self.max_bytes:
            wait_s = None if self.latest is None else self._peak_at + self.settle_s - clock()
            if wait_s is not None and wait_s <= 0:
                return  # at the live edge
            size = READ_BYTES if self.latest is None else BURST_READ_BYTES
            size = min(size, self.max_bytes + 1 - self.bytes_read)
            try:
                data = await asyncio.wait_for(response.body.read(size), wait_s)
            except TimeoutError:
                continue  # nothing new for a while: re-check the live edge
            if not data:
                if self.latest is None:
                    reader.feed_eof()  # says why: not Ogg, or ended before the tags
                    raise PeekError(self.url, "the stream ended before its Opus headers")
                return
            self.bytes_read += len(data)
            self._take(reader.feed(data), clock())
        if self.latest is None:
            raise PeekError(
                self.url,
                f"no complete Opus headers in {self.max_bytes // 1024} KiB (a big cover picture?)",
            )

    def _take(self, events: list[StreamEvent], now: float) -> None:
        for event in events:
            if isinstance(event, StreamStarted):
                if self.latest is None:
                    self._first_tags_at = self._peak_at = now
                self.latest = event
            elif isinstance(event, AudioPacket) and self.latest is not None:
                self._audio_s += event.samples / OPUS_RATE
        lead_s = self._audio_s - (now - self._first_tags_at)
        if lead_s > self._peak_lead_s + LEAD_GROWTH_S:
            self._peak_lead_s, self._peak_at = lead_s, now

    def result(self) -> NowPlayingPeek:
        assert self.latest is not None
        info = self.latest.info
        return NowPlayingPeek(
            artist=info.tags.get("ARTIST", ""),
            title=info.tags.get("TITLE", ""),
            album=info.tags.get("ALBUM", ""),
            serial=info.serial,
            url=self.url,
            bytes_read=self.bytes_read,
            tags=dict(info.tags),
        )


async def peek_many(
    urls: Iterable[str],
    *,
    concurrency: int = 4,
    interval_s: float = 0.1,
    timeout_s: float = 5.0,
    max_bytes: int = MAX_PEEK_BYTES,
    live_edge: bool = False,
) -> dict[str, NowPlayingPeek | PeekError]:
    """Peek every room: at most ``concurrency`` connections open at once, and successive
    connections started at least ``interval_s`` apart (servers see a trickle, not a storm).

    Returns a result per distinct URL, in the given order: the peek or the error that ended
    it. Never raises for a room; cancelling the call cancels all peeks.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, not {concurrency}")
    if interval_s < 0:
        raise ValueError(f"interval_s must be >= 0, not {interval_s}")
    unique = list(dict.fromkeys(urls))
    slots = asyncio.Semaphore(concurrency)
    pacer = _Pacer(interval_s)

    async def one(url: str) -> NowPlayingPeek | PeekError:
        async with slots:
            await pacer.wait_turn()
            try:
                return await peek_now_playing(
                    url, timeout_s=timeout_s, max_bytes=max_bytes, live_edge=live_edge
                )
            except PeekError as exc:
                return exc

    results = await asyncio.gather(*(one(url) for url in unique))
    return dict(zip(unique, results, strict=True))


class _Pacer:
    """Spaces out starts: each caller of ``wait_turn`` starts ``interval_s`` after the last."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._next_start: float | None = None

    async def wait_turn(self) -> None:
        now = asyncio.get_running_loop().time()
        start = now if self._next_start is None else max(now, self._next_start)
        self._next_start = start + self._interval_s  # claimed before sleeping: no two alike
        if start > now:
            await asyncio.sleep(start - now)
