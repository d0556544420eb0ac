"""Playing: a mirror of the car — what plays, play/pause, volume, next/previous for music,
live/road for rooms, the driving switch, and a relay this phone is running."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from host.app.widgets import load_kv_beside


class PhoneNowScreen(Screen):
    pass


load_kv_beside(__file__)
