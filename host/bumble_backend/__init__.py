"""A bleak backend on the bumble host stack: the real bleak API over any bumble transport.

    scanner = BleakScanner(backend=BumbleScanner, transport="tcp-client:127.0.0.1:9000")
    client = BleakClient(device, backend=BumbleClient, transport="usb:0",
                         confirm_pairing=ask_driver)

It serves the tests (bumble's virtual radio stands in for the air between phone and unit) and
any desktop whose Bluetooth adapter bumble can drive directly (``usb:0``, ``hci-socket:0``).
One bumble host stack per transport per process is shared by all scanners and clients
(:mod:`.stack`); the phone's identity and bonds persist in a state directory
(:mod:`.identity`); pairing is LE Secure Connections numeric comparison only
(:mod:`.security`); bumble's errors surface as bleak's (:mod:`.errors`).
"""

from host.bumble_backend.client import DEFAULT_ATT_MTU, BumbleClient
from host.bumble_backend.errors import BleakPairingError
from host.bumble_backend.identity import STATE_DIR_ENV
from host.bumble_backend.scanner import BumbleScanner
from host.bumble_backend.security import ConfirmPairing
from host.bumble_backend.stack import TRANSPORT_ENV, close_stacks, open_stack

BUMBLE_BACKENDS = {"scanner_backend": BumbleScanner, "client_backend": BumbleClient}
"""Keyword arguments that put a :class:`host.client.DeviceClient` on this backend."""

__all__ = [
    "BUMBLE_BACKENDS",
    "DEFAULT_ATT_MTU",
    "STATE_DIR_ENV",
    "TRANSPORT_ENV",
    "BleakPairingError",
    "BumbleClient",
    "BumbleScanner",
    "ConfirmPairing",
    "close_stacks",
    "open_stack",
]
