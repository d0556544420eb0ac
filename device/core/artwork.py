"""The picture of what plays: found, decoded and cached off the audio path, announced in order.

Rooms carry their picture in the chained link's OpusTags (``METADATA_BLOCK_PICTURE``). The
player hands each link's tags over when the demuxer meets them (:meth:`Artwork.stream_started`,
event loop); a worker thread decodes the picture and stores it in the :class:`ArtCache`, so it
is usually ready long before the song reaches the speakers. Local files have theirs looked up
when they start (:meth:`Artwork.announce` with the path): the embedded cover through
``device.sources.library.tags`` (mutagen), else ``cover.jpg``, ``cover.png``, ``folder.jpg``
or ``folder.png`` beside the file.

A song is announced once, with its picture: when the picture is not ready yet the
announcement waits for it (at most ``ART_WAIT_S``), and the ones after it wait their turn, so
songs are never announced out of order. A corrupt, oversized or non-image picture means no
picture and a log line; the song is announced all the same.

Threads: every method runs on the event loop; the blocking work runs in the default executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from device.audio.opus_head import (
    FRONT_COVER,
    PICTURE_KEY,
    OpusTags,
    Picture,
    PictureError,
    cover_comment,
)
from device.audio.packets import StreamInfo
from device.core.art_cache import ArtCache

log = logging.getLogger(__name__)

ART_WAIT_S = 2.0  # a picture slower than this (a stalling USB stick) is dropped, not waited on
FOLDER_PICTURES = ("cover.jpg", "cover.png", "folder.jpg", "folder.png")  # in this order
_FOLDER_MIME = {".jpg": "image/jpeg", ".png": "image/png"}
_STREAMS_REMEMBERED = 8  # links demuxed but not audible yet (a road buffer holds a few)

Deliver = Callable[[str], None]


class Artwork:
    """Pictures for the player; ``cache`` None turns them off (every ``art`` is "")."""

    def __init__(self, cache: ArtCache | None) -> None:
        self._cache = cache
        self._streams: dict[int, tuple[StreamInfo, asyncio.Future[str]]] = {}
        self._tail: asyncio.Task[None] | None = None  # the last announcement still waiting
        self._waiting: set[asyncio.Task[None]] = set()

    def stream_started(self, info: StreamInfo, tags: OpusTags) -> None:
        """A link's headers were demuxed: start caching its picture, if it has one."""
        if self._cache is None:
            return
        comment = cover_comment(tags.get_all(PICTURE_KEY))
        if comment is None:
            return
        source = tags.get("TITLE") or f"stream {info.serial:08x}"
        job = _in_thread(self._store_comment, comment, source)
        self._streams[id(info)] = (info, job)  # the info object itself is kept: ids stay unique
        while len(self._streams) > _STREAMS_REMEMBERED:
            self._streams.pop(next(iter(self._streams)))

    def announce(self, info: StreamInfo, path: str | None, deliver: Deliver) -> None:
        """``info`` (a room's link, or the local file at ``path``) reached the speakers: call
        ``deliver`` with its picture's file name, now if it is ready and nothing is waiting."""
        job = self._take_stream_job(info)
        if job is None and path is not None and self._cache is not None:
            job = _in_thread(self._store_file_picture, path)
        if self._tail is None and (job is None or job.done()):
            deliver(_art_name(job))
            return
        task = asyncio.get_running_loop().create_task(
            self._deliver_in_turn(self._tail, job, deliver)
        )
        self._tail = task
        self._waiting.add(task)
        task.add_done_callback(self._finished)

    def forget(self) -> None:
        """The source changed: the links demuxed so far will never be heard, and the songs
        still waiting for their picture are not to be announced (nor waited for)."""
        self._streams.clear()
        for task in self._waiting:
            task.cancel()
        self._tail = None

    async def close(self) -> None:
        self.forget()
        for task in list(self._waiting):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- event loop -------------------------------------------------------------------------

    def _take_stream_job(self, info: StreamInfo) -> asyncio.Future[str] | None:
        entry = self._streams.pop(id(info), None)
        return entry[1] if entry is not None and entry[0] is info else None

    async def _deliver_in_turn(
        self, previous: asyncio.Task[None] | None, job: asyncio.Future[str] | None, deliver: Deliver
    ) -> None:
        if previous is not None:
            await asyncio.wait({previous})  # its outcome is its own business
        art = ""
        if job is not None:
            try:
                art = await asyncio.wait_for(asyncio.shield(job), ART_WAIT_S)
            except TimeoutError:
                log.warning(
                    "cover picture not ready after %.1f s: announced without it", ART_WAIT_S
                )
        deliver(art)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._waiting.discard(task)
        if self._tail is task:
            self._tail = None
        if not task.cancelled() and task.exception() is not None:
            log.error("announcing a song failed", exc_info=task.exception())

    # --- worker threads ---------------------------------------------------------------------

    def _store_comment(self, comment: str, source: str) -> str:
        assert self._cache is not None
        try:
            picture = Picture.from_comment(comment, self._cache.max_bytes)
        except PictureError as exc:
            log.warning("cover of %s ignored: %s", source, exc)
            return ""
        return self._cache.store(picture, source)

    def _store_file_picture(self, path: str) -> str:
        assert self._cache is not None
        picture = file_picture(path, self._cache.max_bytes)
        return self._cache.store(picture, path) if picture is not None else ""


def file_picture(path: str, max_bytes: int) -> Picture | None:
    """A local file's cover: embedded, else a folder picture beside it; None without one.
    Blocking file I/O; never raises (what is wrong is logged)."""
    from device.sources.library.tags import TagError, read_cover_picture  # mutagen: on demand

    try:
        picture = read_cover_picture(path, max_bytes)
    except TagError as exc:
        log.warning("embedded cover ignored: %s", exc)
        picture = None
    return picture if picture is not None else folder_picture(Path(path).parent, max_bytes)


def folder_picture(folder: Path, max_bytes: int) -> Picture | None:
    """``cover.jpg`` … ``folder.png`` in ``folder`` (any letter case: FAT sticks written on
    Windows say ``Folder.jpg``); None when there is none or it is too big to show."""
    try:
        names = {name.lower(): name for name in os.listdir(folder)}
    except OSError:
        return None
    for wanted in FOLDER_PICTURES:
        if wanted not in names:
            continue
        path = folder / names[wanted]
        try:
            with open(path, "rb") as file:
                data = file.read(max_bytes + 1)
        except OSError as exc:
            log.warning("folder picture %s cannot be read: %s", path, exc)
            return None
        if len(data) > max_bytes:
            log.warning("folder picture %s ignored: bigger than %d bytes", path, max_bytes)
            return None
        return Picture(FRONT_COVER, _FOLDER_MIME[os.path.splitext(wanted)[1]], data)
    return None


def _in_thread(function: Callable[..., str], *args: object) -> asyncio.Future[str]:
    """Run ``function`` in a worker thread; its future never holds an exception (a bug in
    picture handling is logged and means no picture: the song is announced regardless)."""

    def safely() -> str:
        try:
            return function(*args)
        except Exception:
            log.exception("cover picture handling failed")
            return ""

    return asyncio.get_running_loop().run_in_executor(None, safely)


def _art_name(job: asyncio.Future[str] | None) -> str:
    return job.result() if job is not None and not job.cancelled() else ""
