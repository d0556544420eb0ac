"""More: the places a driver visits rarely — Bluetooth phones and Settings."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from device.ui.widgets import load_kv_beside


class MoreScreen(Screen):
    pass


load_kv_beside(__file__)
