"""The phone link: the unit's BLE GATT peripheral (the only place on the unit importing bumble).

``LinkServer`` serves ``device.protocol`` over the GATT service of ``device.protocol.gatt`` to
bonded phones; ``open_radio`` picks the controller by spec string (``"hci-socket:0"``,
``"usb:0"``, ``"virtual"``).
"""

from device.frontends.link.bonds import Phone
from device.frontends.link.pairing import PairingPrompt
from device.frontends.link.radio import Radio, RadioUnavailable, VirtualRadio, open_radio
from device.frontends.link.server import LinkServer

__all__ = [
    "LinkServer",
    "PairingPrompt",
    "Phone",
    "Radio",
    "RadioUnavailable",
    "VirtualRadio",
    "open_radio",
]
