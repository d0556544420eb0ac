"""Search with the phone's keyboard: hashtags, songs, artists, genres — results grouped as
on the car (live now, played it recently, the car's music); with nothing typed, ways in by
interest. A tap on a hashtag or genre searches it; on a room or track, offers what to do."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from host.app.items import Item
from host.app.screens.dialogs import PhoneItemActions
from host.app.widgets import PhoneText, PhoneTile, load_kv_beside

TYPING_PAUSE_S = 0.3


class PhoneSearchScreen(Screen):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._typed = Clock.create_trigger(self._search, TYPING_PAUSE_S)
        self.actions = PhoneItemActions()
        Clock.schedule_once(lambda _dt: App.get_running_app().bind(results=self._show), 0)

    def on_pre_enter(self, *_args: Any) -> None:
        if not self.ids.query.text.strip():
            App.get_running_app().browse("tags")

    def on_query(self, _text: str) -> None:
        self._typed()

    def _search(self, _dt: float = 0.0) -> None:
        App.get_running_app().search(self.ids.query.text)

    def browse(self, what: str) -> None:
        self.ids.query.text = ""
        self._typed.cancel()
        App.get_running_app().browse(what)

    def _show(self, _app: Any, results: list[Item]) -> None:
        box = self.ids.results
        box.clear_widgets()
        for item in results:
            if item.kind == "section":
                box.add_widget(PhoneText(text=item.title, muted=True))
                continue
            tile = PhoneTile(title=item.title, subtitle=item.subtitle, item=item)
            tile.bind(on_release=lambda tile: self.choose(tile.item))
            box.add_widget(tile)
        if not results:
            box.add_widget(Label(text="", size_hint_y=None, height=0))

    def choose(self, item: Item) -> None:
        if item.kind == "search":
            self.ids.query.text = item.target.strip()
            self._typed.cancel()
            App.get_running_app().search(item.target)
        else:
            self.actions.item = item
            self.actions.open(animation=False)


load_kv_beside(__file__)
