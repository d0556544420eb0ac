"""The touchscreen's own keyboard: three rows of ten keys, each a full-size touch target.

Kivy's virtual keyboard has fifteen narrow keys a row and draws its own colours; this one
is made of the screen's ``TouchButton``s, so the driver-distraction rules (size, contrast)
and the knob reach it like every other control. It is offered only while parked (the
Search screen hides it while driving). Letters, ``#`` for hashtags, space, backspace and
Done; no digits row — a room's name or a tag is found from its first letters.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty
from kivy.uix.gridlayout import GridLayout

from device.ui.widgets import TouchButton, load_kv_beside

BACKSPACE, SPACE, DONE = "⌫", "␣", "done"
KEY_ROWS = (
    ("q", "w", "e", "r", "t", "y", "u", "i", "o", "p"),
    ("a", "s", "d", "f", "g", "h", "j", "k", "l", BACKSPACE),
    ("#", "z", "x", "c", "v", "b", "n", "m", SPACE, DONE),
)


def typed(text: str, key: str) -> str:
    """``text`` after ``key`` (Done leaves it as it is)."""
    if key == BACKSPACE:
        return text[:-1]
    if key == SPACE:
        return text + " "
    if key == DONE:
        return text
    return text + key


class KeyButton(TouchButton):
    key = StringProperty("")


class OnScreenKeyboard(GridLayout):
    """Dispatches ``on_key`` with the key pressed (a letter, ``#``, SPACE, BACKSPACE, DONE)."""

    __events__ = ("on_key",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys: dict[str, KeyButton] = {}
        for row in KEY_ROWS:
            for key in row:
                button = KeyButton(key=key)
                button.bind(on_release=lambda button: self.dispatch("on_key", button.key))
                self.keys[key] = button
                self.add_widget(button)

    def on_key(self, key: str) -> None:
        pass


load_kv_beside(__file__)
