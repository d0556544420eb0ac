"""Rooms: live now, by interest (hashtags and genres with their live rooms), favorites, recent.

A tap on a room joins it; a tap on an interest opens the rooms live for it (back returns).
Every room is at most three taps from this screen's tab: Rooms → Interests → #tag → room.
"""

from __future__ import annotations

from typing import Any

from device.protocol import MAX_PAGE, Browse, Search
from device.protocol.catalog_messages import MAX_QUERY_CHARS
from device.ui import presenters
from device.ui.i18n import N_, tr
from device.ui.presenters import Item
from device.ui.screens.listing import Listing, ListingScreen, page_items
from device.ui.widgets import load_kv_beside


def _browse(what: str, key: str, title: str, convert: Any, empty: str) -> Listing:
    """A view of one ``browse`` list of the catalog."""
    return Listing(
        key,
        title,
        lambda offset: Browse(what=what, offset=offset, limit=MAX_PAGE),
        page_items(convert),
        empty,
    )


def live_rooms() -> Listing:
    return _browse(
        "live", "live", tr._("Live now"), presenters.room_item, N_("No room is live right now")
    )


def interests() -> Listing:
    return _browse(
        "tags",
        "interests",
        tr._("By hashtag"),
        lambda entry: presenters.interest_item(entry, "tag"),
        N_("No hashtags among the live rooms"),
    )


def genres() -> Listing:
    return _browse(
        "genres",
        "genres",
        tr._("By genre"),
        lambda entry: presenters.interest_item(entry, "genre"),
        N_("No genres among the live rooms"),
    )


def favorites() -> Listing:
    return _browse(
        "favorites",
        "favorites",
        tr._("Favorites"),
        presenters.room_item,
        N_("No favorites yet: add them from the phone"),
    )


def recent() -> Listing:
    return _browse(
        "recent",
        "recent",
        tr._("Recently played"),
        presenters.recent_item,
        N_("Nothing played yet"),
    )


def search_results(query: str, title: str) -> Listing:
    """Everything a query finds, one list: rooms live now, rooms that played it, your music."""
    query = query[:MAX_QUERY_CHARS]  # a very long artist's name searches by its beginning

    def items(data: dict[str, Any]) -> tuple[list[Item], int]:
        found: list[Item] = []
        for section, convert in (
            ("live", presenters.room_item),
            ("recent", presenters.room_item),
            ("tracks", presenters.track_item),
        ):
            page = data.get(section) or {}
            found += [convert(item) for item in page.get("items", [])]
        return found, len(found)

    return Listing(
        "results",
        title,
        lambda offset: Search(q=query, offset=offset, limit=MAX_PAGE),
        items,
        tr._("Nothing found for {query}").format(query=query),
    )


VIEWS = {
    "live": live_rooms,
    "interests": interests,
    "genres": genres,
    "favorites": favorites,
    "recent": recent,
}


class RoomsScreen(ListingScreen):
    def on_pre_enter(self, *_args: Any) -> None:
        if not self.trail:
            self.open_view(live_rooms())
        else:
            self.reload()  # live rooms change while the driver is elsewhere

    def choose_view(self, key: str) -> None:
        self.open_view(VIEWS[key](), replace=True)

    def choose(self, item: Item) -> None:
        if item.kind == "search":
            self.open_view(search_results(item.target, item.title))
        else:
            self.app.play_item(item)


load_kv_beside(__file__)
