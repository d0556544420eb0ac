"""Search: one box for hashtags, songs, artists and genres — typed only while parked.

Before anything is typed the list offers ways in without typing (the hashtags and genres
of the live rooms, the artists of the local music); a tap on one searches for it, so the
screen works while driving too. A tap on the box opens the screen's own keyboard
(``device.ui.keyboard``) in place of the list; it searches as you type, a short pause after
the last key, the newest answer wins, and Done shows the results. While the car moves the
box and the keyboard are gone and the screen says why, offering the phone instead.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from device.protocol import Browse, Library
from device.protocol.catalog_messages import MAX_QUERY_CHARS
from device.ui import presenters
from device.ui.i18n import N_, tr
from device.ui.keyboard import DONE, typed
from device.ui.presenters import Item
from device.ui.screens.listing import ListingScreen
from device.ui.screens.rooms import search_results
from device.ui.widgets import load_kv_beside

TYPING_PAUSE_S = 0.25  # search once the driver stops typing for this long
SUGGESTIONS_EACH = 4  # hashtags, genres and artists offered before typing


class SearchScreen(ListingScreen):
    query = StringProperty("")
    typing = BooleanProperty(False)  # the keyboard is open

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._typed = Clock.create_trigger(self._search_typed, TYPING_PAUSE_S)
        self._suggestions: dict[str, list[Item]] = {}
        self.app.fbind("driving", self._driving_changed)

    def _driving_changed(self, _app: Any, driving: bool) -> None:
        if driving:
            self.typing = False

    def open_keyboard(self) -> None:
        self.typing = not self.app.driving

    def press_key(self, key: str) -> None:
        """A key of the on-screen keyboard (or a desk keyboard's, through the App)."""
        if not self.typing:
            return
        if key == DONE:
            self.typing = False
        else:
            self.query = typed(self.query, key)[:MAX_QUERY_CHARS]

    def on_pre_enter(self, *_args: Any) -> None:
        if not self.trail:
            self.show_suggestions()

    # --- before typing: ways in by interest -----------------------------------------------

    def show_suggestions(self) -> None:
        self.trail.clear()
        self._asked += 1  # a search still on its way is no longer wanted
        self.heading, self.view_key, self.depth = tr._("Search"), "suggestions", 0
        self.ids.listing.empty_words = N_("Nothing to suggest yet")
        self._suggestions = {}
        self._show_suggestions()
        for what, kind in (("tags", "tag"), ("genres", "genre")):
            self.app.send(
                Browse(what=what, limit=SUGGESTIONS_EACH),
                lambda reply, what=what, kind=kind: self._suggested(
                    what, [presenters.interest_item(e, kind) for e in reply.data.get("items", [])]
                ),
                quiet=True,
            )
        self.app.send(
            Library(what="artists", limit=SUGGESTIONS_EACH),
            lambda reply: self._suggested(
                "artists", [self._artist_search(a) for a in reply.data.get("items", [])]
            ),
            quiet=True,  # a unit without music has no artists to suggest
        )

    @staticmethod
    def _artist_search(artist: dict[str, Any]) -> Item:
        name = str(artist.get("ar") or "")
        return Item(name, tr._("Artist"), "search", f"artist:{name} ")

    def _suggested(self, what: str, items: list[Item]) -> None:
        self._suggestions[what] = items
        if self.view_key == "suggestions":
            self._show_suggestions()

    def _show_suggestions(self) -> None:
        kinds = ("tags", "genres", "artists")
        items = [item for what in kinds for item in self._suggestions.get(what, [])]
        self.ids.listing.show(items)

    # --- searching ------------------------------------------------------------------------

    def on_query(self, _screen: Any, text: str) -> None:
        self._typed.cancel()
        if text.strip():
            self._typed()
        elif self.view_key != "suggestions":
            self.show_suggestions()

    def _search_typed(self, _dt: float = 0.0) -> None:
        query = self.query.strip()
        if query:
            self.open_view(search_results(query, query), replace=True)

    def choose(self, item: Item) -> None:
        if item.kind == "search":
            self.query = ""  # the chip's search, not what was half typed
            self._typed.cancel()
            self.open_view(search_results(item.target, item.title), replace=True)
        else:
            self.app.play_item(item)

    def go_back(self) -> bool:
        if self.typing:
            self.typing = False
            return True
        if self.view_key != "suggestions":
            self.query = ""
            self._typed.cancel()
            self.show_suggestions()
            return True
        return False


load_kv_beside(__file__)
