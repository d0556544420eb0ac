"""Bluetooth: open the pairing window, and the paired phones — a tap on one offers to forget it.

The six-digit comparison itself is the pairing dialog (``screens/pairing``), shown over any
screen. Forgetting asks once more on this screen, because a phone forgotten by mistake must
be paired again from the phone.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import ObjectProperty

from device.protocol import Forget, Ok, PairOpen, Phones
from device.ui import presenters
from device.ui.i18n import N_, tr
from device.ui.presenters import Item
from device.ui.screens.listing import Listing, ListingScreen, page_items
from device.ui.widgets import load_kv_beside

PAIRING_WORDS = {
    "open": N_("Pairing is open: start pairing on the phone"),
    "confirm": N_("Compare the digits"),
    "paired": N_("Paired"),
    "rejected": N_("Pairing refused: try again"),
    "closed": N_("Phones pair only while pairing is open"),
}


def phones() -> Listing:
    return Listing(
        "phones",
        tr._("Paired phones"),
        lambda _offset: Phones(),
        page_items(presenters.phone_item),
        N_("No phone paired yet"),
    )


def pairing_words(state: str) -> str:
    return tr._(PAIRING_WORDS.get(state, PAIRING_WORDS["closed"]))


class BluetoothScreen(ListingScreen):
    forgetting = ObjectProperty(None, allownone=True)  # the phone the driver may forget
    pairing_words = staticmethod(pairing_words)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app.fbind("pairing_state", self._pairing_changed)

    def on_pre_enter(self, *_args: Any) -> None:
        self.forgetting = None
        self.open_view(phones(), replace=True)

    def _pairing_changed(self, _app: Any, state: str) -> None:
        if state == "paired" and self.manager is not None and self.manager.current == self.name:
            self.reload()  # the new phone joins the list

    def open_pairing(self) -> None:
        self.app.send(PairOpen())

    def choose(self, item: Item) -> None:
        self.forgetting = item

    def forget(self, confirmed: bool) -> None:
        phone, self.forgetting = self.forgetting, None
        if confirmed and phone is not None:

            def forgotten(_reply: Ok) -> None:
                self.app.say(tr._("{phone} forgotten").format(phone=phone.title))
                self.reload()

            self.app.send(Forget(address=phone.target), forgotten)

    def go_back(self) -> bool:
        if self.forgetting is not None:
            self.forgetting = None
            return True
        return False


load_kv_beside(__file__)
