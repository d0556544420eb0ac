"""The catalog at work: keeps the room directory fresh, remembers what played, answers
search/browse/favorite/preset commands and restores the last room at start.

It reads directories (``device.sources.directory``) and writes the SQLite catalog
(``device.catalog``); SQLite work runs in a worker thread so the event loop (and with it the
control socket) never waits on the SD card. It listens to the player for what is audible, so
the song history also covers the room being played.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from device.catalog import Catalog, ResumeState, RoomRecord, TrackRecord
from device.core.catalog_items import (
    fit,
    page_data,
    played_item,
    preset_item,
    room_item,
    tag_item,
    track_item,
)
from device.core.listener import PlayerListener, PlayerSnapshot, PlayoutStats
from device.core.music_library import MusicLibrary
from device.core.player import Player
from device.sources.directory import (
    DirectoryEntry,
    DirectoryError,
    PeekError,
    fetch_directory,
    peek_many,
)
from device.sources.library import LibraryScanner

log = logging.getLogger(__name__)
OPTIMIZE_EVERY_S = 24 * 3600


@dataclass(frozen=True)
class CatalogSettings:
    sources: tuple[str, ...] = ()  # directory specs: "icecast:<base-url>", "playlist:<path>"
    refresh_s: float = 60.0  # directory and now-playing peeks, per round
    peek_concurrency: int = 4
    resume: bool = True
    # The local music folders now, asked at every scan: removable media come and go while
    # the engine runs (device.sources.library.roots).
    library_roots: Callable[[], Sequence[str]] = tuple
    # With removable media among them: the mount table, read every ``media_poll_s``; when it
    # changes, the folders are asked again and new ones scanned at once.
    media_mounts: Callable[[], str] | None = None
    media_poll_s: float = 2.0


class CatalogService(PlayerListener):
    def __init__(
        self, catalog: Catalog, player: Player, settings: CatalogSettings, clock=time.time
    ) -> None:
        self._catalog = catalog
        self._player = player
        self._settings = settings
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._last_saved: ResumeState | None = None
        self._scanner = LibraryScanner(catalog, make_record=TrackRecord)
        self._scan_lock = asyncio.Lock()  # one scan at a time: the refresh or the media watch
        self._media_task: asyncio.Task[None] | None = None
        self.music = MusicLibrary(catalog, player)
        self.refreshed = asyncio.Event()  # set after every finished refresh round

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._player.add_listener(self)
        self._task = asyncio.create_task(self._refresh_forever(), name="catalog refresh")
        if self._settings.media_mounts is not None:
            self._media_task = asyncio.create_task(
                self._watch_media_forever(self._settings.media_mounts), name="media watch"
            )

    async def close(self) -> None:
        await self.save_resume_now()
        self._player.remove_listener(self)
        for task in (self._task, self._media_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.to_thread(self._catalog.close)

    async def save_resume_now(self) -> None:
        """Save where the music is, to the second (the ignition went off mid-track); a room
        is saved whenever it changes, so it is saved already."""
        if self._player.music is not None:
            state = self.music.resume_state(*self._mode_volume(), self._clock(), force=True)
            if state is not None:
                await self._db(self._catalog.save_resume, state)

    async def resume(self) -> bool:
        """Play again what played last (before any UI is up); True if something was joined."""
        if not self._settings.resume:
            return False
        state = await asyncio.to_thread(self._catalog.load_resume)
        if state is None or state.source_kind not in ("room", "track"):
            return False
        self._player.set_volume(state.volume)
        self._player.set_mode(state.mode)
        try:
            if state.source_kind == "track":
                await self.music.resume(state)
            else:
                await self._player.join(state.target)
        except ValueError as exc:
            log.warning("cannot resume %s: %s", state.target, exc)
            return False
        return True

    # --- commands (event loop) ------------------------------------------------------------

    async def search(self, query: str, offset: int, limit: int) -> dict[str, Any]:
        results = await self._db(
            self._catalog.search, query, now=self._clock(), limit=limit, offset=offset
        )
        return fit(
            {
                "live": page_data(results.live_rooms, lambda h: room_item(h.room, h)),
                "recent": page_data(results.recent_rooms, lambda h: room_item(h.room, h)),
                "tracks": page_data(results.tracks, track_item),
            }
        )

    async def browse(self, what: str, offset: int, limit: int) -> dict[str, Any]:
        if what == "presets":
            presets = await self._db(self._catalog.presets)
            items = [preset_item(p) for p in presets if p is not None]
            return {"total": len(items), "offset": 0, "items": items}
        readers = {
            "live": (self._catalog.live_rooms, room_item),
            "tags": (self._catalog.top_hashtags, tag_item),
            "genres": (self._catalog.top_genres, tag_item),
            "favorites": (self._catalog.favorites, room_item),
            "recent": (self._catalog.recently_played, played_item),
        }
        read, to_item = readers[what]
        page = await self._db(read, limit, offset)
        return fit(page_data(page, to_item))

    async def favorite(self, url: str, on: bool) -> None:
        await self._db(self._catalog.set_favorite, url, on, self._clock())

    async def set_preset(self, slot: int, kind: str, target: str, label: str) -> None:
        await self._db(self._catalog.set_preset, slot, kind, target, label or target)

    async def clear_preset(self, slot: int) -> None:
        await self._db(self._catalog.clear_preset, slot)

    async def play_preset(self, slot: int) -> None:
        presets = await self._db(self._catalog.presets)
        preset = presets[slot - 1]
        if preset is None:
            raise RuntimeError(f"preset {slot} is empty")
        if preset.kind == "room":
            await self._player.join(preset.target)
        else:
            await self.music.play(preset.kind, preset.target)

    # --- player listener (event loop) -----------------------------------------------------

    def on_now_playing(self, artist: str, title: str, album: str) -> None:
        room = self._player.snapshot().room
        if room.startswith(("http://", "https://")) and (artist or title):
            self._background(
                self._catalog.record_song, room, artist, title, album, self._clock(), "inband"
            )

    def on_state(self, snapshot: PlayerSnapshot) -> None:
        if self._player.music is not None:  # a track: saved with its position
            self._save_music_position(snapshot, force=True)
            return
        if not snapshot.room.startswith(("http://", "https://")):
            return
        state = ResumeState("room", snapshot.room, 0.0, snapshot.mode, snapshot.volume)
        if state != self._last_saved:
            if self._last_saved is None or self._last_saved.target != state.target:
                self._background(self._catalog.note_played, snapshot.room, self._clock())
            self._last_saved = state
            self._background(self._catalog.save_resume, state)

    def on_stats(self, stats: PlayoutStats) -> None:
        if self._player.music is not None:
            self._save_music_position(self._player.snapshot(), force=False)

    def _mode_volume(self) -> tuple[str, int]:
        snapshot = self._player.snapshot()
        return snapshot.mode, snapshot.volume

    def _save_music_position(self, snapshot: PlayerSnapshot, *, force: bool) -> None:
        state = self.music.resume_state(snapshot.mode, snapshot.volume, self._clock(), force)
        if state is not None and state != self._last_saved:
            self._last_saved = state
            self._background(self._catalog.save_resume, state)

    # --- refresh --------------------------------------------------------------------------

    async def scan_library(self, roots: Sequence[str] | None = None) -> None:
        """Bring the catalog's tracks in step with the library folders (unchanged files
        cost a stat each: 10,000 of them take about 0.1 s)."""
        async with self._scan_lock:
            if roots is None:  # looking for media is file system work: off the event loop
                roots = await asyncio.to_thread(self._settings.library_roots)
            for scan in await self._db(self._scanner.scan, roots):
                if scan.available and (scan.added or scan.changed or scan.removed):
                    log.info(
                        "library %s: %d added, %d changed, %d removed",
                        scan.root, scan.added, scan.changed, scan.removed,
                    )  # fmt: skip

    async def refresh_once(self) -> None:
        now = self._clock()
        for spec in self._settings.sources:
            try:
                listing = await fetch_directory(spec)
            except DirectoryError as exc:
                log.warning("directory %s: %s", spec, exc)
                continue
            for problem in listing.problems:
                log.info("directory %s: %s", spec, problem)
            records = [_record(entry) for entry in listing.entries]
            await self._db(self._catalog.update_rooms, listing.source, records, now)
        live = await self._db(self._catalog.live_rooms, 500, 0)
        urls = [room.url for room in live.items]
        peeks = await peek_many(urls, concurrency=self._settings.peek_concurrency)
        for url, peek in peeks.items():
            if isinstance(peek, PeekError) or not (peek.artist or peek.title):
                continue
            await self._db(
                self._catalog.record_song,
                url,
                peek.artist,
                peek.title,
                peek.album,
                self._clock(),
                "peek",
            )

    async def _watch_media_forever(self, mount_table: Callable[[], str]) -> None:
        """Scan as soon as a stick is plugged in (or another medium appears), not at the next
        refresh round. The mount table is one small read; the media folders are looked for
        (off the event loop) only when it changed."""
        known_mounts: str | None = None
        known_roots: tuple[str, ...] | None = None
        while True:
            try:
                mounts = mount_table()
                if mounts != known_mounts:
                    known_mounts = mounts
                    roots = tuple(await asyncio.to_thread(self._settings.library_roots))
                    previous, known_roots = known_roots, roots
                    if previous is not None and roots != previous:
                        added = sorted(set(roots) - set(previous))
                        if added:
                            log.info("music found on %s: scanning", ", ".join(added))
                        await self.scan_library(roots)
            except Exception:  # a failed look at the mounts must not end the watch
                log.exception("media watch failed")
            await asyncio.sleep(self._settings.media_poll_s)

    async def _refresh_forever(self) -> None:
        optimized_at: float | None = None
        while True:
            try:
                await self.scan_library()
                await self.refresh_once()
                # Merging the search indexes holds the catalog ~2 s for 50,000 rooms: after
                # the first refresh of a drive (searches are 2-4x faster afterwards), then
                # once a day for an engine that never stops.
                now = time.monotonic()
                if optimized_at is None or now - optimized_at >= OPTIMIZE_EVERY_S:
                    optimized_at = now
                    await self._db(self._catalog.optimize)
            except Exception:  # a bad round must not end refreshing for the whole drive
                log.exception("catalog refresh failed")
            self.refreshed.set()
            await asyncio.sleep(self._settings.refresh_s)

    async def _db(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(function, *args, **kwargs)

    def _background(self, function: Any, *args: Any) -> None:
        task = asyncio.ensure_future(self._db(function, *args))
        task.add_done_callback(_log_failure)


def _record(entry: DirectoryEntry) -> RoomRecord:
    return RoomRecord(
        url=entry.url,
        name=entry.name,
        description=entry.description,
        genres=entry.genres,
        listeners=entry.listeners,
        bitrate_kbps=entry.bitrate_kbps,
        public=entry.public,
        source=entry.source,
    )


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("catalog write failed", exc_info=task.exception())
