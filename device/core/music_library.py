"""Local music at work: browse the library, turn a choice into a queue, resume where it was.

The catalog knows the tracks (``device.catalog``; the scanner in ``device.sources.library``
fills it); the player plays a queue of them (``device.core.music_queue``). This module is
the glue the command dispatcher and presets use: what "play this album" or "play this
artist" means, paging the queue for a remote, and the resume position of a track.

Resume: the last track's path and the seconds into it are saved every
:data:`POSITION_SAVE_S` while music plays, and on pause and stop, so a power cut loses at
most that much. At start, the queue is rebuilt as that track's album from that track on (the
album is what a driver expects to continue; a shuffled artist queue is not restored).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from device.catalog import Catalog, ResumeState, TrackRecord
from device.core.catalog_items import fit, track_item
from device.core.music_queue import QueuedTrack
from device.core.player import Player
from device.sources.local_playlist import read_local_playlist

log = logging.getLogger(__name__)
POSITION_SAVE_S = 10.0


class MusicLibrary:
    def __init__(self, catalog: Catalog, player: Player) -> None:
        self._catalog = catalog
        self._player = player
        self._saved_at = -POSITION_SAVE_S

    # --- commands (event loop) ----------------------------------------------------------------

    async def library(
        self, what: str, artist: str, album: str, offset: int, limit: int
    ) -> dict[str, Any]:
        if what == "tracks":
            tracks = await self._tracks_of(artist, album)
            page = tracks[offset : offset + limit]
            return fit(
                {"total": len(tracks), "offset": offset, "items": [track_item(t) for t in page]}
            )
        overview = await asyncio.to_thread(self._catalog.library_overview)
        if what == "artists":
            rows = [
                {"ar": name, "na": albums, "nt": count} for name, albums, count in overview.artists
            ]
        else:
            rows = [
                {"al": name, "ar": by, "nt": count}
                for name, by, count in overview.albums
                if not artist or by == artist
            ]
        return fit({"total": len(rows), "offset": offset, "items": rows[offset : offset + limit]})

    async def play(self, kind: str, target: str, artist: str = "", shuffle: bool = False) -> None:
        """Play a track (path), an album, an artist or a playlist file; ValueError if it is
        not in the library or nothing in it plays."""
        start = 0
        if kind == "track":
            track = await asyncio.to_thread(self._catalog.track_by_path, target)
            tracks = await self._tracks_of(track.artist, track.album) if track else []
            start = next((i for i, t in enumerate(tracks) if t.path == target), 0)
            if not tracks:  # a file the scanner has not seen (yet): it plays on its own
                tracks = [_bare_track(target)]
        elif kind == "album":
            tracks = await asyncio.to_thread(self._catalog.album_tracks, target, artist)
        elif kind == "artist":
            tracks = await asyncio.to_thread(self._catalog.artist_tracks, target)
        elif kind == "playlist":
            paths = await asyncio.to_thread(read_local_playlist, Path(target))
            tracks = [await self._record_or_bare(path) for path in paths]
        else:
            raise ValueError(f"cannot play a {kind!r}")
        if not tracks:
            raise ValueError(f"no local tracks for {kind} {target!r}")
        queued = [_queued(t) for t in tracks]
        await self._player.play_tracks(queued, start_index=start, shuffle=shuffle)

    def queue_page(self, offset: int, limit: int) -> dict[str, Any]:
        music = self._player.music
        if music is None:
            return {"total": 0, "offset": offset, "items": []}
        position, _, seconds = music.current()
        tracks = music.upcoming()
        items = [
            {"i": i, "p": t.path, "t": t.title, "a": t.artist, "b": t.album}
            for i, t in enumerate(tracks[offset : offset + limit], start=offset)
        ]
        data = {"total": len(tracks), "offset": offset, "items": items}
        return fit({**data, "now": position, "s": round(seconds, 1), "shuffle": music.shuffle})

    # --- resume ---------------------------------------------------------------------------

    def resume_state(self, mode: str, volume: int, now: float, force: bool) -> ResumeState | None:
        """What to save for the track playing now; None when nothing is due."""
        music = self._player.music
        if music is None or (not force and now - self._saved_at < POSITION_SAVE_S):
            return None
        self._saved_at = now
        _, track, seconds = music.current()
        return ResumeState("track", track.path, round(seconds, 1), mode, volume)  # type: ignore[arg-type]

    async def resume(self, state: ResumeState) -> None:
        track = await asyncio.to_thread(self._catalog.track_by_path, state.target)
        tracks = await self._tracks_of(track.artist, track.album) if track else []
        if not tracks:
            tracks = [_bare_track(state.target)]
        start = next((i for i, t in enumerate(tracks) if t.path == state.target), 0)
        await self._player.play_tracks(
            [_queued(t) for t in tracks], start_index=start, start_seconds=state.position_s
        )

    # --- internals ------------------------------------------------------------------------

    async def _tracks_of(self, artist: str, album: str) -> list[TrackRecord]:
        if album:
            return list(await asyncio.to_thread(self._catalog.album_tracks, album, artist))
        if artist:
            return list(await asyncio.to_thread(self._catalog.artist_tracks, artist))
        return []

    async def _record_or_bare(self, path: str) -> TrackRecord | QueuedTrack:
        track = await asyncio.to_thread(self._catalog.track_by_path, path)
        return track if track is not None else _bare_track(path)


def _queued(track: TrackRecord | QueuedTrack) -> QueuedTrack:
    if isinstance(track, QueuedTrack):
        return track
    return QueuedTrack(track.path, track.title, track.artist, track.album)


def _bare_track(path: str) -> QueuedTrack:
    return QueuedTrack(path, title=Path(path).stem)
