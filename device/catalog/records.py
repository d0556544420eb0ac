"""The catalog's records: what goes in (validated on construction) and what comes out.

Inputs (:class:`RoomRecord`, :class:`TrackRecord`, :class:`ResumeState`) raise ``TypeError``
or ``ValueError`` with a message naming the field when built from bad values, so nothing
malformed reaches the database. Outputs are frozen snapshots; lists come as a :class:`Page`
(``items`` plus ``total``) because they travel to remotes in small pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, Literal, NamedTuple, TypeVar

__all__ = [
    "PRESET_KINDS",
    "PRESET_SLOTS",
    "RESUME_KINDS",
    "RESUME_MODES",
    "SONG_VIA",
    "TRACK_FORMATS",
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

PRESET_SLOTS = range(1, 5)
PRESET_KINDS = ("room", "artist", "album", "playlist")
RESUME_KINDS = ("room", "track", "artist", "album", "playlist")
RESUME_MODES = ("live", "road")
SONG_VIA = ("peek", "inband")
TRACK_FORMATS = ("", "opus", "vorbis", "flac", "mp3", "wav")  # "": not known (older rows)

T = TypeVar("T")


def _text(owner: object, name: str, *, required: bool = False) -> None:
    value = getattr(owner, name)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise ValueError(f"{name} must not be empty")


def _number(owner: object, name: str, kind: type | tuple[type, ...], minimum: float) -> None:
    value = getattr(owner, name)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be a number, not {value!r}")
    if not (value >= minimum and math.isfinite(value)):  # refuses NaN and infinity too
        raise ValueError(f"{name} must be >= {minimum}, not {value}")


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


@dataclass(frozen=True)
class RoomRecord:
    """One room as a directory source reports it; ``url`` identifies the room.

    ``genres`` is a tuple (a bare string would be one genre per letter); hashtags are not a
    field: the catalog parses them from ``description``. ``source`` is the directory spec
    that listed the room (rooms vanish from their own source only).
    """

    url: str
    name: str
    description: str
    genres: tuple[str, ...]
    listeners: int
    bitrate_kbps: int | None
    public: bool
    source: str

    def __post_init__(self) -> None:
        _text(self, "url", required=True)
        _text(self, "name")
        _text(self, "description")
        _text(self, "source", required=True)
        if not isinstance(self.genres, tuple) or not all(isinstance(g, str) for g in self.genres):
            raise TypeError(f"genres must be a tuple of strings, not {self.genres!r}")
        _number(self, "listeners", int, 0)
        if self.bitrate_kbps is not None:
            _number(self, "bitrate_kbps", int, 1)
        if not isinstance(self.public, bool):
            raise TypeError(f"public must be a bool, not {self.public!r}")


@dataclass(frozen=True)
class TrackRecord:
    """One local music file; ``path`` identifies it, ``mtime_ns``/``size`` tell a rescan
    whether it changed. Tags the file lacks are "" (never None); ``track_number`` and
    ``disc_number`` are 0 when unknown, ``format`` is one of :data:`TRACK_FORMATS` ("" when
    unknown: rows from before schema version 3)."""

    path: str
    title: str
    artist: str
    album: str
    genre: str
    duration_s: float
    mtime_ns: int
    size: int
    track_number: int = 0
    disc_number: int = 0
    format: str = ""

    def __post_init__(self) -> None:
        _text(self, "path", required=True)
        for name in ("title", "artist", "album", "genre"):
            _text(self, name)
        _number(self, "duration_s", (int, float), 0)
        _number(self, "mtime_ns", int, 0)
        _number(self, "size", int, 0)
        _number(self, "track_number", int, 0)
        _number(self, "disc_number", int, 0)
        _choice("format", self.format, TRACK_FORMATS)


class LibraryArtist(NamedTuple):
    """An artist of the local library (spelled exactly as tagged; "" for untagged tracks).
    A named tuple: ``for name, albums, tracks in overview.artists`` works too."""

    name: str
    albums: int
    tracks: int


class LibraryAlbum(NamedTuple):
    """An album of the local library: one per (album, artist) spelling."""

    name: str
    artist: str
    tracks: int


@dataclass(frozen=True)
class LibraryOverview:
    """Every artist and album of the local library, sorted as people read them: ignoring
    case and accents (``Ásgeir`` with the A's)."""

    artists: tuple[LibraryArtist, ...]
    albums: tuple[LibraryAlbum, ...]


@dataclass(frozen=True)
class TrackUpdate:
    """What :meth:`Catalog.update_tracks` changed under one root."""

    added: int
    changed: int
    removed: int
    unchanged: int


@dataclass(frozen=True)
class Song:
    """A song heard in a room, at ``at`` (seconds, the caller's clock), by peek or in-band."""

    artist: str
    title: str
    album: str
    at: float
    via: Literal["peek", "inband"]


@dataclass(frozen=True)
class Room:
    """A room as the catalog knows it now. ``live``: listed by its source at the last
    refresh; ``now_playing``: the last song heard there (may be stale when not live)."""

    url: str
    name: str
    description: str
    genres: tuple[str, ...]
    hashtags: tuple[str, ...]
    listeners: int
    bitrate_kbps: int | None
    public: bool
    source: str
    live: bool
    favorite: bool
    now_playing: Song | None


@dataclass(frozen=True)
class RoomHit:
    """A room found by a search. ``match`` says why, strongest first: ``playing`` (its
    current song matches), ``played`` (a matching song in its recent history, which is
    ``song``), ``room`` (its name, description, genres or hashtags match)."""

    room: Room
    match: Literal["playing", "played", "room"]
    song: Song | None


@dataclass(frozen=True)
class Page(Generic[T]):
    """``items`` from ``offset`` on, and ``total``: how many there are in all.

    ``capped``: counting stopped at ``total`` and there are more ("1000+"); search does this
    for broad queries (one or two letters) so that every keystroke stays fast.
    """

    items: tuple[T, ...]
    total: int
    offset: int
    capped: bool = False


@dataclass(frozen=True)
class SearchResults:
    query: str
    live_rooms: Page[RoomHit]
    recent_rooms: Page[RoomHit]
    tracks: Page[TrackRecord]


@dataclass(frozen=True)
class TagCount:
    """A hashtag or genre: ``label`` as first written, ``key`` as searched, live rooms."""

    label: str
    key: str
    live_rooms: int


@dataclass(frozen=True)
class Played:
    """Something the driver played: a room URL or a track path, its label, when."""

    target: str
    kind: Literal["room", "track", "other"]
    label: str
    at: float


@dataclass(frozen=True)
class Preset:
    slot: int
    kind: Literal["room", "artist", "album", "playlist"]
    target: str
    label: str

    def __post_init__(self) -> None:
        if isinstance(self.slot, bool) or self.slot not in PRESET_SLOTS:
            raise ValueError(f"preset slot must be 1..4, got {self.slot!r}")
        _choice("preset kind", self.kind, PRESET_KINDS)
        _text(self, "target", required=True)
        _text(self, "label")


@dataclass(frozen=True)
class ResumeState:
    """What to play again at start: the source, the position in it (files), the buffer
    mode (``live``/``road``) and the volume in percent."""

    source_kind: Literal["room", "track", "artist", "album", "playlist"]
    target: str
    position_s: float
    mode: Literal["live", "road"]
    volume: int

    def __post_init__(self) -> None:
        _choice("source_kind", self.source_kind, RESUME_KINDS)
        _text(self, "target", required=True)
        _number(self, "position_s", (int, float), 0)
        _choice("mode", self.mode, RESUME_MODES)
        _number(self, "volume", int, 0)
        if self.volume > 100:
            raise ValueError(f"volume must be 0..100 percent, not {self.volume}")
