"""Presets: four big buttons. A tap plays the slot; a hold stores what plays into it."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from device.ui.widgets import load_kv_beside


class PresetsScreen(Screen):
    pass


load_kv_beside(__file__)
