"""Real Kivy, rendering offscreen: the environment is set before Kivy is first imported
(test modules import it at collection), one window serves the whole session, and each test
mounts its own App on it."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator

import pytest

from device.ui.staging import use_offscreen

_KIVY_HOME = tempfile.mkdtemp(prefix="drivetime-kivy-test-")
atexit.register(shutil.rmtree, _KIVY_HOME, True)
use_offscreen(_KIVY_HOME)

from kivy.base import EventLoop  # noqa: E402  (after the environment above)
from kivy.core.window import Window  # noqa: E402

from device.config import Config  # noqa: E402
from device.ui.app import DrivetimeApp  # noqa: E402
from device.ui.staging import mount, unmount  # noqa: E402

PANEL = (800, 480)


@pytest.fixture(scope="session")
def window():
    EventLoop.ensure_window()
    Window.size = PANEL
    return Window


@pytest.fixture
def ui(window) -> Iterator[Callable[..., DrivetimeApp]]:
    """``ui(config, connect=True)``: the App on the window, its link to the engine running."""
    apps: list[DrivetimeApp] = []

    window.size = PANEL

    def start(config: Config, connect: bool = True) -> DrivetimeApp:
        app = mount(DrivetimeApp(config, connect=connect))
        apps.append(app)
        return app

    yield start
    for app in apps:
        unmount(app)
    window.size = PANEL
