"""The car: which unit this phone talks to. First run: find the units around, choose one,
pair (the digits dialog), name it. Afterwards: the connection in words, and a way to pair
again when the car has forgotten this phone."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.screenmanager import Screen

from host.app.widgets import PhoneTile, load_kv_beside


class PhoneCarScreen(Screen):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        Clock.schedule_once(lambda _dt: App.get_running_app().bind(units_found=self._show), 0)

    def _show(self, app: Any, units: list[tuple[str, str]]) -> None:
        box = self.ids.units
        box.clear_widgets()
        for address, name in units:
            here = address == app.link.address
            tile = PhoneTile(title=name, subtitle=address + ("  ·  this car" if here else ""))
            tile.bind(on_release=lambda _tile, address=address: app.choose_unit(address))
            box.add_widget(tile)


load_kv_beside(__file__)
