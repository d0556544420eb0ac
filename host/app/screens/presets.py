"""Presets: the car's four, played with a tap; kept from a search result's actions."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from host.app.widgets import load_kv_beside


class PhonePresetsScreen(Screen):
    def on_pre_enter(self, *_args: object) -> None:
        from kivy.app import App

        App.get_running_app().play_preset_list()


load_kv_beside(__file__)
