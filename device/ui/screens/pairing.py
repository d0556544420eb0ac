"""The Bluetooth pairing dialog: the six digits, large, and Confirm / Reject.

Shown over everything while the engine asks the driver to compare the digits on the phone
(a ``pairing`` event in state ``confirm``); the answer goes back as ``pair_confirm``. It is
opaque rather than a dimmed overlay: one thing to look at, nothing behind it to misread.
"""

from __future__ import annotations

from kivy.uix.modalview import ModalView

from device.ui.widgets import load_kv_beside


class PairingDialog(ModalView):
    pass


load_kv_beside(__file__)
