"""Local music commands: browse the library, play and steer the queue.

``library`` pages through artists, albums or tracks (optionally of one artist or album);
``queue`` with a ``kind`` and ``target`` plays them (replacing the queue) and without shows
the queue page by page; ``next``, ``previous`` and ``shuffle`` steer it. Replies are paged
like the catalog's (``{"total", "offset", "items"}``), see docs/protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from device.protocol.catalog_messages import _Paged
from device.protocol.messages import (
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    Command,
    _bad,
    _check_bool,
    _check_choice,
    _check_text,
)

LIBRARY_VIEWS = ("artists", "albums", "tracks")
QUEUE_KINDS = ("", "track", "album", "artist", "playlist")


@dataclass(frozen=True)
class Library(_Paged):
    """Artists, albums or tracks of the local library; ``artist``/``album`` narrow it."""

    name: ClassVar[str] = "library"
    what: str = "artists"
    artist: str = ""
    album: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("what", self.what, LIBRARY_VIEWS)
        _check_text("artist", self.artist, MAX_TEXT_CHARS)
        _check_text("album", self.album, MAX_TEXT_CHARS)


@dataclass(frozen=True)
class Queue(_Paged):
    """Without ``kind``: a page of the queue. With it: play a track (``target`` its path),
    an album (``target`` the album, ``artist`` to tell same-named albums apart), an artist,
    or a playlist file of local paths; ``shuffle`` starts it shuffled."""

    name: ClassVar[str] = "queue"
    kind: str = ""
    target: str = ""
    artist: str = ""
    shuffle: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("kind", self.kind, QUEUE_KINDS)
        _check_text("target", self.target, MAX_URL_CHARS)
        _check_text("artist", self.artist, MAX_TEXT_CHARS)
        if self.kind and not self.target:
            raise _bad(f"a {self.kind} needs a target")
        _check_bool("shuffle", self.shuffle)


@dataclass(frozen=True)
class Next(Command):
    name: ClassVar[str] = "next"


@dataclass(frozen=True)
class Previous(Command):
    name: ClassVar[str] = "previous"


@dataclass(frozen=True)
class Shuffle(Command):
    name: ClassVar[str] = "shuffle"
    on: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_bool("on", self.on)


MUSIC_COMMANDS: tuple[type[Command], ...] = (Library, Queue, Next, Previous, Shuffle)
