"""A list the driver pages through with two big buttons instead of scrolling.

Scrolling needs a flick and a moving picture to follow with the eyes; a page of large
tiles that changes only when asked does not (and the knob reaches every tile). The page
holds as many rows as fit, two tiles a row on a wide screen. While the car is moving the
list is ``locked`` to its first page with a note that the rest is on the phone. When the
driver pages past what has been fetched and the engine has more, ``on_need_more`` asks
the screen for the next page of the engine's results.
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from device.ui.i18n import tr
from device.ui.presenters import Item
from device.ui.widgets import Tile, load_kv_beside

TILE_DP = 96
GAP_DP = 8
TWO_COLUMNS_FROM_DP = 600  # narrower than this, one tile per row


class ItemList(BoxLayout):
    __events__ = ("on_choose", "on_need_more")

    items = ListProperty([])  # of presenters.Item
    total = NumericProperty(0)  # how many the engine has (≥ len(items))
    first = NumericProperty(0)  # index of the first item shown
    locked = BooleanProperty(False)  # driving: the first page only
    empty_words = StringProperty("")  # translated when shown: pass the English
    note = StringProperty("")  # shown under the tiles
    cols = NumericProperty(2)
    page_size = NumericProperty(1)
    can_go_up = BooleanProperty(False)
    can_go_down = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        self._tiles: list[Tile] = []
        self._asked_more_at = -1  # the offset of a page asked for and not yet shown
        super().__init__(**kwargs)
        self.bind(
            items=self._refresh, first=self._refresh, locked=self._refresh, total=self._refresh
        )
        tr.fbind("_", self._refresh)

    def show(self, items: list[Item], total: int | None = None) -> None:
        """Replace the list (back to its first page)."""
        self._asked_more_at = -1
        self.first = 0
        self.total = len(items) if total is None else max(total, len(items))
        self.items = list(items)

    def extend(self, items: list[Item], total: int) -> None:
        """Append the engine's next page."""
        self._asked_more_at = -1
        self.total = max(total, len(self.items) + len(items))
        self.items = [*self.items, *items]

    def page_down(self) -> None:
        # While the next page is on its way, stay put: a second tap would ask for the same
        # page again (and show an empty one meanwhile).
        if self.can_go_down and self._asked_more_at < 0:
            self.first += self.page_size
            if self.first + self.page_size > len(self.items) and self.total > len(self.items):
                self._asked_more_at = len(self.items)
                self.dispatch("on_need_more", len(self.items))

    def page_up(self) -> None:
        self.first = max(0, self.first - self.page_size)

    def on_size(self, *_args: Any) -> None:
        self._refresh()

    def _refresh(self, *_args: Any) -> None:
        grid = self.ids.get("grid")
        if grid is None:
            return
        self.cols = 2 if self.width >= dp(TWO_COLUMNS_FROM_DP) else 1
        note_height = dp(36)
        rows = max(1, int((self.height - note_height + dp(GAP_DP)) // dp(TILE_DP + GAP_DP)))
        self.page_size = self.cols * rows
        if self.locked:
            self.first = 0
        shown = self.items[self.first : self.first + self.page_size]
        while len(self._tiles) < self.page_size:
            tile = Tile()
            tile.bind(on_release=self._tile_chosen)
            self._tiles.append(tile)
        for tile in list(grid.children):
            grid.remove_widget(tile)
        for tile, item in zip(self._tiles, shown, strict=False):
            tile.title, tile.subtitle, tile.item = item.title, item.subtitle, item
            grid.add_widget(tile)
        more = self.first + self.page_size < max(len(self.items), self.total)
        self.can_go_up = self.first > 0
        self.can_go_down = more and not self.locked
        if not self.items:
            self.note = tr._(self.empty_words)
        elif self.locked and more:
            self.note = tr._("More on the phone while driving")
        else:
            last = min(self.first + self.page_size, len(self.items))
            count = max(self.total, len(self.items))
            self.note = tr._("{first}-{last} of {count}").format(
                first=self.first + 1, last=last, count=count
            )

    def _tile_chosen(self, tile: Tile) -> None:
        self.dispatch("on_choose", tile.item)

    def on_choose(self, item: Item) -> None:
        pass

    def on_need_more(self, offset: int) -> None:
        pass


load_kv_beside(__file__)
