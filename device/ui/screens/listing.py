"""What the list screens (Rooms, Search, Music, Bluetooth) share: a view that fills its
``ItemList`` from engine pages, and a trail of views for back to walk up.

A view is a ``Listing``: the command that fetches a page (given the offset) and how a page's
items become tiles. Choosing a tile either plays it (the App's ``play_item``) or opens a
deeper view (a tag's rooms, an artist's albums); back returns to the view before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kivy.app import App
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from device.protocol import Command, Ok
from device.ui.presenters import Item


@dataclass(frozen=True)
class Listing:
    key: str  # which view this is, for the screen's chips
    title: str  # what the header says while it is shown
    fetch: Callable[[int], Command]  # offset → the command for that page
    items: Callable[[dict[str, Any]], tuple[list[Item], int]]  # reply data → tiles, total
    empty: str  # what the list says when there is nothing


def page_items(convert: Callable[[dict[str, Any]], Item]) -> Callable[..., tuple[list[Item], int]]:
    """For a reply that is one PAGE: its items as tiles, and its total."""

    def items(data: dict[str, Any]) -> tuple[list[Item], int]:
        found = [convert(item) for item in data.get("items", []) if isinstance(item, dict)]
        return found, int(data.get("total") or len(found))

    return items


class ListingScreen(Screen):
    """A screen whose ``ids.listing`` (an ItemList) shows the view on top of ``trail``."""

    heading = StringProperty("")
    view_key = StringProperty("")
    depth = NumericProperty(0)  # views on the trail: more than one means back has somewhere to go

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trail: list[Listing] = []
        self._asked = 0  # the newest request: replies to older ones are dropped

    @property
    def app(self) -> Any:
        return App.get_running_app()

    def open_view(self, listing: Listing, replace: bool = False) -> None:
        """Show ``listing``: on top of the trail, or instead of all of it (a chip)."""
        if replace:
            self.trail.clear()
        self.trail.append(listing)
        self._load(listing)

    def go_back(self) -> bool:
        """Back to the view before; False at the first view (the App goes back further)."""
        if len(self.trail) < 2:
            return False
        self.trail.pop()
        self._load(self.trail[-1])
        return True

    def reload(self) -> None:
        if self.trail:
            self._load(self.trail[-1])

    def fetch_more(self, offset: int) -> None:
        if not self.trail:
            return
        listing, asked = self.trail[-1], self._asked

        def more(reply: Ok) -> None:
            if asked == self._asked:
                items, total = listing.items(reply.data)
                self.ids.listing.extend(items, total)

        command = self._command(listing, offset)
        if command is not None:
            self.app.send(command, more)

    def _load(self, listing: Listing) -> None:
        self.heading, self.view_key = listing.title, listing.key
        self.depth = len(self.trail)
        self._asked += 1
        asked = self._asked
        listing_widget = self.ids.listing
        listing_widget.empty_words = listing.empty
        listing_widget.show([])

        def shown(reply: Ok) -> None:
            if asked == self._asked:  # else the driver has moved on
                items, total = listing.items(reply.data)
                listing_widget.show(items, total)

        command = self._command(listing, 0)
        if command is not None:
            self.app.send(command, shown, quiet=True)  # the banner says if the engine is away

    def _command(self, listing: Listing, offset: int) -> Command | None:
        """The page's command; None (and the reason on screen) when a name from the catalog
        is too long for the protocol — the screen must not fall over on a long tag."""
        try:
            return listing.fetch(offset)
        except ValueError as exc:
            self.app.say(str(exc))
            return None
