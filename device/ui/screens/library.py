"""Music: the local library by artist, album or track.

Artist → their albums (first tile: play everything by them); album → its tracks (first
tile: play the album); a track plays its album from that track on. Back walks up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from device.protocol import MAX_PAGE, Library
from device.ui import presenters
from device.ui.i18n import N_, tr
from device.ui.presenters import Item
from device.ui.screens.listing import Listing, ListingScreen, page_items
from device.ui.widgets import load_kv_beside

EMPTY_WORDS = N_("No music found: put files on a USB stick and plug it in")


def _library(key: str, title: str, command: Callable[[int], Library], convert: Any) -> Listing:
    return Listing(key, title, command, page_items(convert), EMPTY_WORDS)


def artists() -> Listing:
    return _library(
        "artists",
        tr._("Artists"),
        lambda offset: Library(what="artists", offset=offset, limit=MAX_PAGE),
        presenters.artist_item,
    )


def albums(artist: str = "") -> Listing:
    return _library(
        "albums" if not artist else "artist",
        artist or tr._("Albums"),
        lambda offset: Library(what="albums", artist=artist, offset=offset, limit=MAX_PAGE),
        presenters.album_item,
    )


def tracks(album: str = "", artist: str = "") -> Listing:
    return _library(
        "tracks" if not album else "album",
        album or tr._("Tracks"),
        lambda offset: Library(
            what="tracks", album=album, artist=artist, offset=offset, limit=MAX_PAGE
        ),
        presenters.track_item,
    )


def with_play_all(listing: Listing, play_all: Item) -> Listing:
    """``listing`` with a first tile that plays all of it."""

    def items(data: dict[str, Any]) -> tuple[list[Item], int]:
        found, total = listing.items(data)
        if data.get("offset"):
            return found, total + 1
        return [play_all, *found], total + 1

    return Listing(listing.key, listing.title, listing.fetch, items, listing.empty)


VIEWS = {"artists": artists, "albums": albums, "tracks": tracks}


class LibraryScreen(ListingScreen):
    def on_pre_enter(self, *_args: Any) -> None:
        if not self.trail:
            self.open_view(artists())

    def choose_view(self, key: str) -> None:
        self.open_view(VIEWS[key](), replace=True)

    def fetch_more(self, offset: int) -> None:
        # The play-all tile is ours, not the engine's: the engine's offset is one less.
        deeper = len(self.trail) > 1
        super().fetch_more(offset - 1 if deeper else offset)

    def choose(self, item: Item) -> None:
        if item.kind == "artist" and self.view_key == "artists":
            play_all = Item(tr._("Play all"), item.title, "artist", item.target)
            self.open_view(with_play_all(albums(item.target), play_all))
        elif item.kind == "album" and self.view_key != "album":
            play_all = Item(tr._("Play album"), item.title, "album", item.target, item.extra)
            self.open_view(with_play_all(tracks(item.target, item.extra), play_all))
        else:
            self.app.play_item(item)


load_kv_beside(__file__)
