"""The phone app's few widgets: a painted box, a line of text, a button, a list tile.

A phone is held in the hand, not glanced at on a dashboard: Material's 48 dp touch targets
and 16-20 sp text, not the car screen's larger rules. Colours come from ``theme.py``.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label


def load_kv_beside(module_file: str) -> None:
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


class PhoneSurface(BoxLayout):
    bg_color = ColorProperty([0, 0, 0, 0])


class PhoneText(Label):
    """One line of text, ellipsized; ``big`` for what matters, ``muted`` for the rest."""

    big = BooleanProperty(False)
    muted = BooleanProperty(False)


class PhoneButton(ButtonBehavior, PhoneText):
    accent = BooleanProperty(False)
    bg_color = ColorProperty([0, 0, 0, 0])


class PhoneTile(ButtonBehavior, BoxLayout):
    """A list item: ``title`` over ``subtitle``; what it stands for in ``item``."""

    title = StringProperty("")
    subtitle = StringProperty("")
    item = ObjectProperty(None, allownone=True)
    bg_color = ColorProperty([0, 0, 0, 0])


load_kv_beside(__file__)
