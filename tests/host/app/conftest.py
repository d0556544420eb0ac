"""The phone app on real Kivy, offscreen, phone-shaped; the car is a real engine whose
Bluetooth runs on bumble's virtual radio, reached by the app's bleak client over TCP."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host.app.__main__ import PHONE_WINDOW

# Offscreen and quiet, without a window size: these variables are inherited by every process
# the test session starts (the unit's own screen among them); the fixture sizes the window.
for key, value in {
    "KIVY_NO_ARGS": "1",
    "KIVY_LOG_MODE": "PYTHON",
    "SDL_VIDEODRIVER": "offscreen",
    "KIVY_HOME": tempfile.mkdtemp(prefix="drivetime-phone-test-"),
}.items():
    os.environ.setdefault(key, value)

from kivy.base import EventLoop  # noqa: E402
from kivy.core.window import Window  # noqa: E402

from device.ui.staging import mount, unmount  # noqa: E402  (any App, not only the unit's)
from host.app.app import PhoneApp  # noqa: E402
from host.bumble_backend import BUMBLE_BACKENDS  # noqa: E402
from host.client import DeviceClient  # noqa: E402


@pytest.fixture
def phone_window():
    EventLoop.ensure_window()
    Window.size = PHONE_WINDOW
    yield Window
    Window.size = (800, 480)


@pytest.fixture
def phone(phone_window, tmp_path) -> Iterator[Callable[[int], PhoneApp]]:
    """``phone(port)``: the app on the window, looking for the car on the virtual radio."""
    apps: list[PhoneApp] = []

    def start(port: int, memory: Path | None = None) -> PhoneApp:
        state_dir = str(tmp_path / "phone-bonds")
        backend = dict(BUMBLE_BACKENDS, transport=f"tcp-client:127.0.0.1:{port}")

        def client() -> DeviceClient:
            return DeviceClient(**backend, state_dir=state_dir)

        app = mount(PhoneApp(client, memory or tmp_path / "unit.json"))
        apps.append(app)
        return app

    yield start
    for app in apps:
        unmount(app)
