"""The catalog: rooms, songs heard, local tracks, favorites, presets and resume state on disk.

Threading: one :class:`Catalog` may be shared by any number of threads. Every method takes
the catalog's lock for the whole call and runs on its single connection, so calls are
serialised. Each blocks for its SQL (a few ms for a search of 50,000 rooms, a commit's
fsync for a write, seconds for a first listing of thousands of rooms or tracks), so call it
from a worker thread (``asyncio.to_thread``), never from the event loop or the audio thread.
A write method returns only after its transaction is durably committed: what it did
survives a power cut from then on.

Times (``now``, ``at``, ``since``) are seconds (>= 0) on the caller's clock: the wall clock
in the engine (history outlives a restart), the tests' own in tests. Any SQLite failure
surfaces as :class:`CatalogError`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from device.catalog import browse, history, index, personal, rooms, search, tracks
from device.catalog.history import HistoryLimits
from device.catalog.records import (
    LibraryOverview,
    Page,
    Played,
    Preset,
    ResumeState,
    Room,
    RoomHit,
    RoomRecord,
    SearchResults,
    Song,
    TagCount,
    TrackRecord,
    TrackUpdate,
)
from device.catalog.store import CatalogError, connect, migrate, transaction

__all__ = ["MAX_PAGE", "Catalog"]

T = TypeVar("T")
MAX_PAGE = 500


def _check_page(limit: int, offset: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1..{MAX_PAGE}, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset!r}")


class Catalog:
    """The catalog database at ``path``, created and migrated to the current schema if needed.

    ``recent_window_s``: how far back search's "recently played" group looks.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        recent_window_s: float = 3600.0,
        limits: HistoryLimits | None = None,
    ) -> None:
        self.path = Path(path)
        self.recent_window_s = recent_window_s
        self.limits = limits or HistoryLimits()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = connect(path)
        try:
            migrate(self._conn)
        except sqlite3.Error as error:
            self._conn.close()
            raise CatalogError(f"cannot migrate the catalog {self.path}: {error}") from error
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        """Run ``work`` in one transaction (snapshot reads; all-or-nothing writes)."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise CatalogError(f"the catalog {self.path} is closed")
            try:
                with transaction(conn, write=write):
                    return work(conn)
            except sqlite3.Error as error:
                raise CatalogError(f"catalog {self.path}: {error}") from error

    # Rooms and songs heard

    def update_rooms(self, source: str, records: Sequence[RoomRecord], now: float) -> None:
        """Upsert the rooms ``source`` lists now; its other rooms stop being live.

        Also drops history older than the limits (a refresh is periodic anyway).
        """
        for record in records:
            if not isinstance(record, RoomRecord):
                raise TypeError(f"expected RoomRecord, not {type(record).__name__}")

        def work(conn: sqlite3.Connection) -> None:
            rooms.update_rooms(conn, source, records, now)
            history.prune(conn, now, self.limits)

        self._run(work, write=True)

    def room(self, url: str) -> Room | None:
        return self._run(lambda conn: browse.room(conn, url), write=False)

    def live_rooms(self, limit: int = 20, offset: int = 0) -> Page[Room]:
        _check_page(limit, offset)
        return self._run(lambda conn: browse.live_rooms(conn, limit, offset), write=False)

    def record_song(
        self,
        room_url: str,
        artist: str,
        title: str,
        album: str,
        at: float,
        via: Literal["peek", "inband"],
    ) -> bool:
        """Note the song ``room_url`` plays since ``at``; False for a repeat of its current song
        (or an untagged song, which clears now-playing)."""
        return self._run(
            lambda conn: history.record_song(
                conn, room_url, artist, title, album, at, via, self.limits
            ),
            write=True,
        )

    def now_playing(self, room_url: str) -> Song | None:
        return self._run(lambda conn: history.now_playing(conn, room_url), write=False)

    def rooms_that_played(
        self, query: str, since: float, limit: int = 20, offset: int = 0
    ) -> Page[RoomHit]:
        """Rooms, live or not, that played a song matching ``query`` at or after ``since``."""
        _check_query(query)
        _check_page(limit, offset)
        return self._run(
            lambda conn: search.rooms_that_played(conn, query, since, limit, offset), write=False
        )

    def prune(self, now: float) -> None:
        """Drop history beyond the limits (:meth:`update_rooms` does this too)."""
        self._run(lambda conn: history.prune(conn, now, self.limits), write=True)

    def optimize(self) -> None:
        """Merge the search indexes (2-4x faster searches after many writes).

        Rewrites the indexes: about 2 s for 50,000 rooms, 55,000 plays and 20,000 tracks
        on the dev VM, holding the catalog meanwhile. Call at an idle moment (after the
        start-up refresh, then daily), not per refresh.
        """
        self._run(index.optimize, write=True)

    # Local tracks

    def update_tracks(self, root: str, records: Sequence[TrackRecord]) -> TrackUpdate:
        for record in records:
            if not isinstance(record, TrackRecord):
                raise TypeError(f"expected TrackRecord, not {type(record).__name__}")
        return self._run(lambda conn: tracks.update_tracks(conn, root, records), write=True)

    def track_stamps(self, root: str) -> dict[str, tuple[int, int]]:
        """``{path: (mtime_ns, size)}`` under ``root``: what a rescan need not re-read."""
        return self._run(lambda conn: tracks.track_stamps(conn, root), write=False)

    def track_count(self) -> int:
        return self._run(tracks.track_count, write=False)

    def tracks_under(self, root: str) -> list[TrackRecord]:
        """Every track known under ``root``, by path (a rescan keeps the unchanged ones)."""
        return self._run(lambda conn: tracks.tracks_under(conn, root), write=False)

    def track_by_path(self, path: str) -> TrackRecord | None:
        _check_text("path", path)
        return self._run(lambda conn: tracks.track_by_path(conn, path), write=False)

    def album_tracks(self, album: str, artist: str = "") -> list[TrackRecord]:
        """``album``'s tracks in playing order (disc, track number, path); names are matched
        exactly as :meth:`library_overview` lists them; ``artist`` "" means any artist."""
        _check_text("album", album)
        _check_text("artist", artist)
        return self._run(lambda conn: tracks.album_tracks(conn, album, artist), write=False)

    def artist_tracks(self, artist: str) -> list[TrackRecord]:
        """``artist``'s tracks, album by album, each in playing order."""
        _check_text("artist", artist)
        return self._run(lambda conn: tracks.artist_tracks(conn, artist), write=False)

    def library_overview(self) -> LibraryOverview:
        """The local library's artists and albums, sorted ignoring case and accents."""
        return self._run(tracks.library_overview, write=False)

    # Search and browse

    def search(self, query: str, *, now: float, limit: int = 20, offset: int = 0) -> SearchResults:
        """Search rooms live now, rooms that played it in the last ``recent_window_s``, and
        local tracks; syntax in :mod:`device.catalog.query`. Never raises on query text."""
        _check_query(query)
        _check_page(limit, offset)
        since = now - self.recent_window_s
        return self._run(lambda conn: search.search(conn, query, since, limit, offset), write=False)

    def top_hashtags(self, limit: int = 20, offset: int = 0) -> Page[TagCount]:
        _check_page(limit, offset)
        return self._run(lambda conn: browse.top_tags(conn, "hashtag", limit, offset), write=False)

    def top_genres(self, limit: int = 20, offset: int = 0) -> Page[TagCount]:
        _check_page(limit, offset)
        return self._run(lambda conn: browse.top_tags(conn, "genre", limit, offset), write=False)

    def favorites(self, limit: int = 50, offset: int = 0) -> Page[Room]:
        _check_page(limit, offset)
        return self._run(lambda conn: browse.favorites(conn, limit, offset), write=False)

    def set_favorite(self, url: str, favorite: bool, at: float | None = None) -> None:
        when = time.time() if at is None else at
        self._run(lambda conn: personal.set_favorite(conn, url, favorite, when), write=True)

    def recently_played(self, limit: int = 20, offset: int = 0) -> Page[Played]:
        _check_page(limit, offset)
        return self._run(lambda conn: browse.recently_played(conn, limit, offset), write=False)

    def note_played(self, url_or_path: str, at: float) -> None:
        self._run(lambda conn: personal.note_played(conn, url_or_path, at), write=True)

    # Presets and resume

    def set_preset(
        self,
        slot: int,
        kind: Literal["room", "artist", "album", "playlist"],
        target: str,
        label: str,
    ) -> None:
        preset = Preset(slot, kind, target, label)
        self._run(lambda conn: personal.set_preset(conn, preset), write=True)

    def clear_preset(self, slot: int) -> None:
        self._run(lambda conn: personal.clear_preset(conn, slot), write=True)

    def presets(self) -> list[Preset | None]:
        """The four slots in order, None where empty."""
        return self._run(personal.presets, write=False)

    def save_resume(self, state: ResumeState) -> None:
        self._run(lambda conn: personal.save_resume(conn, state), write=True)

    def load_resume(self) -> ResumeState | None:
        return self._run(personal.load_resume, write=False)


def _check_query(query: object) -> None:
    if not isinstance(query, str):
        raise TypeError(f"query must be a string, not {type(query).__name__}")


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
