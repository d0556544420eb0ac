"""Driving the offscreen screen from a test: frames, taps, holds, and waiting for a result."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from kivy.base import EventLoop
from kivy.tests.common import UnitTestTouch
from kivy.uix.widget import Widget

from device.ui import rules

if TYPE_CHECKING:  # not at run time: the phone app's tests use these helpers too
    from device.ui.app import DrivetimeApp


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 5.0) -> float:
    """Run frames until ``condition`` holds; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        EventLoop.idle()
    return time.monotonic() - start


def frames(count: int) -> None:
    for _ in range(count):
        EventLoop.idle()


def _press(widget: Widget) -> UnitTestTouch:
    frames(2)  # lay out what changed since the last frame, so the centre is where it shows
    assert widget.get_root_window() is not None, f"{widget} is not on screen"
    assert widget.opacity > 0 and not widget.disabled, f"{widget} cannot be tapped"
    touch = UnitTestTouch(*widget.to_window(*widget.center))
    touch.touch_down()
    return touch


TAPS_PER_TASK = 5  # the driver-distraction rule: every task in five taps or fewer
_taps = [0]


def tap(widget: Widget) -> None:
    """A finger on the widget's centre and off again, as the touchscreen reports it."""
    _taps[0] += 1
    touch = _press(widget)
    frames(1)
    touch.touch_up()


@contextlib.contextmanager
def task(what: str, most: int = TAPS_PER_TASK) -> Iterator[None]:
    """A driver's task: the taps (and holds) made inside must be at most ``most``."""
    before = _taps[0]
    yield
    used = _taps[0] - before
    assert used <= most, f"{what}: {used} taps, more than {most}"


def hold(widget: Widget, seconds: float = rules.LONG_PRESS_S + 0.3) -> None:
    _taps[0] += 1
    touch = _press(widget)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        EventLoop.idle()
    touch.touch_up()


def showing(app: DrivetimeApp, name: str) -> Widget:
    """Wait until screen ``name`` is shown and takes touches (the screen manager ignores
    touches while a transition runs, even a NoTransition's single frame)."""
    screens = app.root.ids.screens
    wait_until(
        lambda: screens.current_screen.name == name and not screens.transition.is_active,
        f"the {name} screen",
    )
    return screens.current_screen


def tiles(screen: Widget) -> list[Widget]:
    """The tiles a list screen shows now, in reading order."""
    return list(reversed(screen.ids.listing.ids.grid.children))


def tile_titled(screen: Widget, title: str, timeout_s: float = 5.0) -> Widget:
    """Wait until the list shows a tile called ``title``; paging down to find it."""
    start = time.monotonic()
    while True:
        for tile in tiles(screen):
            if tile.title == title:
                return tile
        listing = screen.ids.listing
        if listing.can_go_down and listing.first + listing.page_size < len(listing.items):
            tap(listing.ids.page_down)
        if time.monotonic() - start > timeout_s:
            shown = [tile.title for tile in tiles(screen)]
            raise AssertionError(f"no tile {title!r} within {timeout_s} s; shown: {shown}")
        EventLoop.idle()
