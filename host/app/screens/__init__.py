"""The phone app's screens, one ``.py`` + ``.kv`` each, under a root with a nav bar."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.uix.boxlayout import BoxLayout

from host.app.screens import car, now, presets, search  # noqa: F401 (their kv rules)
from host.app.screens.dialogs import PhoneDigitsDialog


class PhoneRoot(BoxLayout):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.digits_dialog = PhoneDigitsDialog()


Builder.load_file(str(Path(__file__).with_name("root.kv")))
