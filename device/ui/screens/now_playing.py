"""Now Playing: what plays, how it plays, and the controls a driver needs most."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from device.ui.widgets import load_kv_beside


class NowPlayingScreen(Screen):
    pass


load_kv_beside(__file__)
