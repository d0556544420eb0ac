"""``drivetime-host app`` (or ``python -m host.app``): the phone app in a desktop window.

``--transport`` (or ``$DRIVETIME_BLE_TRANSPORT``) picks bleak's bumble backend — the demo's
virtual radio (``tcp-client:127.0.0.1:7531``) or a USB dongle (``usb:0``); without it, the
platform's own Bluetooth. The window has a phone's portrait shape.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

TRANSPORT_ENV = "DRIVETIME_BLE_TRANSPORT"
PHONE_WINDOW = (412, 892)  # a 1080x2340 phone at 2.625 px/dp, in dp


def kivy_environment(offscreen: bool) -> None:
    """Before Kivy is imported: our argv is ours; phone-shaped; quiet; offscreen if asked."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KCFG_GRAPHICS_WIDTH", str(PHONE_WINDOW[0]))
    os.environ.setdefault("KCFG_GRAPHICS_HEIGHT", str(PHONE_WINDOW[1]))
    if offscreen:
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
        os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="drivetime-phone-kivy-"))


def client_factory(transport: str | None, state_dir: str | None):
    from host.bumble_backend import BUMBLE_BACKENDS
    from host.client import DeviceClient

    if not transport:
        return DeviceClient
    backend = dict(BUMBLE_BACKENDS, transport=transport)
    if state_dir:
        backend["state_dir"] = state_dir
    return lambda: DeviceClient(**backend)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drivetime-host app", description=__doc__.split("\n")[0])
    parser.add_argument("--transport", default=os.environ.get(TRANSPORT_ENV))
    parser.add_argument("--state-dir", help="where the phone keeps its bonds (bumble backend)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    no_display = not any(
        os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    )
    kivy_environment(offscreen=no_display)
    from host.app.app import PhoneApp
    from host.unit_memory import default_memory_path

    state_dir = args.state_dir or str(Path(default_memory_path()).parent / "bumble")
    PhoneApp(client_factory(args.transport, state_dir), default_memory_path()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
