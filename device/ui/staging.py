"""Put the App on screen without ``App.run()``: for screenshots and for tests.

``App.run()`` owns the loop until the window closes; rendering a set of views, or a test
tapping through them, needs the loop in its own hands instead: mount the App's root on the
window, then pump frames with ``settle``. ``use_offscreen`` must run before Kivy is imported.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING

from device.protocol import Pairing

if TYPE_CHECKING:  # importing them here would load Kivy before use_offscreen could run
    from kivy.uix.widget import Widget

    from device.ui.app import DrivetimeApp
    from device.ui.presenters import Item

# Every screen, and four states of the whole: the search keyboard open, the pairing dialog
# over a screen, the engine away, and the car moving (search without its box, lists on one
# page).
SCREEN_VIEWS = (
    "now_playing",
    "rooms",
    "search",
    "library",
    "presets",
    "more",
    "bluetooth",
    "settings",
)
VIEWS = (*SCREEN_VIEWS, "typing", "pairing", "offline", "driving")

# How the touchscreen wants Kivy, in the environment before Kivy is imported:
KIVY_ENVIRONMENT = {
    "KIVY_NO_ARGS": "1",  # our argv is ours: Kivy would exit 2 on options it does not know
    "KCFG_GRAPHICS_WIDTH": "800",  # the unit's panel
    "KCFG_GRAPHICS_HEIGHT": "480",
    # An event from the engine thread wakes the clock at once instead of waiting out the
    # frame's sleep: engine event → frame p50 17 ms instead of 30 ms on the 2-core VM.
    "KIVY_CLOCK": "interrupt",
    # Kivy's own mode would put its handlers on the root logger and replace sys.stderr;
    # the unit's processes (and pytest) configure Python logging themselves.
    "KIVY_LOG_MODE": "PYTHON",
}


def use_kivy_environment() -> None:
    """Settings already in the environment win."""
    for key, value in KIVY_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


SIZES = ((800, 480), (1024, 600), (1280, 720))


def use_offscreen(kivy_home: str | None = None) -> None:
    """Render offscreen (SDL's EGL driver on Mesa), quietly, with Kivy's files in a temp dir
    and no parsing of our argv. Settings already in the environment win."""
    defaults = {
        "SDL_VIDEODRIVER": "offscreen",
        "KCFG_KIVY_LOG_LEVEL": "warning",  # not Kivy's start-up chatter
        "KIVY_HOME": kivy_home or tempfile.mkdtemp(prefix="drivetime-kivy-"),
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    use_kivy_environment()


def settle(frames: int = 3) -> None:
    """Run ``frames`` frames: clock, layout, drawing. A static screen is not redrawn by
    itself, so ask for a redraw first."""
    from kivy.base import EventLoop
    from kivy.core.window import Window

    Window.canvas.ask_update()
    for _ in range(frames):
        EventLoop.idle()


def mount(app: DrivetimeApp) -> DrivetimeApp:
    """Build ``app``, put its root on the window and start it (its engine link, if any)."""
    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    # kv's ``app`` is a proxy that keeps the first running App until that App stops; an App
    # built after another (tests, screenshots) must not have its rules bound to the old one.
    from kivy.lang.parser import global_idmap

    object.__setattr__(global_idmap["app"], "_obj", None)
    app.root = app.build()
    Window.add_widget(app.root)
    app.dispatch("on_start")
    return app


def unmount(app: DrivetimeApp) -> None:
    from kivy.core.window import Window

    app.dispatch("on_stop")
    for child in list(Window.children):  # the root and any dialog left open
        Window.remove_widget(child)


def stage(
    app: DrivetimeApp,
    view: str,
    theme: str,
    size: tuple[int, int],
    pairing: Pairing | None = None,
    lists: Mapping[str, list[Item]] | None = None,
) -> Widget:
    """Show ``view`` in ``theme`` at ``size`` (``pairing``: the event that opens the dialog;
    ``lists``: what each list screen shows) and return the widget that is the whole picture
    (the root, or the dialog over it)."""
    from kivy.core.window import Window

    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    Window.size = size
    app.set_theme(theme)
    app.receive_connection(view != "offline")
    app.driving = view == "driving"
    if view == "pairing":
        app.receive_event(pairing or Pairing(state="confirm", digits="123456"))
    else:
        app.receive_event(Pairing(state="closed"))
        screen = {"offline": "now_playing", "driving": "search", "typing": "search"}.get(view, view)
        app.show_screen(screen)
        settle(2)
        shown_screen = app.root.ids.screens.current_screen
        if screen == "settings":
            from device.ui.sample import SAMPLE_OUTPUTS
            from device.ui.screens.settings import shown_outputs

            shown_screen.current_output = SAMPLE_OUTPUTS["current"]
            shown_screen.outputs = shown_outputs(
                SAMPLE_OUTPUTS["current"], SAMPLE_OUTPUTS["choices"]
            )
        if screen == "search":
            shown_screen.typing = view == "typing"
            shown_screen.query = "late ja" if view == "typing" else ""
        listed = (lists or {}).get(screen)
        if listed is not None:
            shown_screen.ids.listing.show(listed)
    settle(4)
    shown = app.pairing_dialog if view == "pairing" else app.root
    assert shown is not None
    return shown
