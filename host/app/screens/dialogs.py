"""Dialogs over any screen: the six digits to compare while pairing, and what to do with a
search result (play it in the car, through this phone, or keep it as a preset)."""

from __future__ import annotations

from kivy.properties import ObjectProperty
from kivy.uix.modalview import ModalView

from host.app.widgets import load_kv_beside


class PhoneDigitsDialog(ModalView):
    pass


class PhoneItemActions(ModalView):
    item = ObjectProperty(None, allownone=True)


load_kv_beside(__file__)
