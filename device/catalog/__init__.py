"""The catalog: rooms, songs heard, local tracks, search, favorites, presets, resume (SQLite).

Self-contained (imports nothing else first-party). Start at :class:`Catalog`; the query
syntax is in :mod:`device.catalog.query`.
"""

from device.catalog.catalog import MAX_PAGE, Catalog
from device.catalog.history import HistoryLimits
from device.catalog.records import (
    TRACK_FORMATS,
    LibraryAlbum,
    LibraryArtist,
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
from device.catalog.store import CatalogError

__all__ = [
    "MAX_PAGE",
    "TRACK_FORMATS",
    "Catalog",
    "CatalogError",
    "HistoryLimits",
    "LibraryAlbum",
    "LibraryArtist",
    "LibraryOverview",
    "Page",
    "Played",
    "Preset",
    "ResumeState",
    "Room",
    "RoomHit",
    "RoomRecord",
    "SearchResults",
    "Song",
    "TagCount",
    "TrackRecord",
    "TrackUpdate",
]
