"""The knob reaches every control: turning walks them all in reading order, a push selects
the one in focus, back goes back — on every screen, and with a desk keyboard standing in."""

from __future__ import annotations

import itertools

import pytest
from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior

from device.config import Config
from device.ui.app import DrivetimeApp
from device.ui.sample import SAMPLE_EVENTS, SAMPLE_LISTS, SAMPLE_PAIRING
from device.ui.staging import SCREEN_VIEWS, mount, stage, unmount
from tests.ui.driver_rules import visible, window_box
from tests.ui.screen import frames

DOWN_ARROW, ENTER, ESCAPE = 274, 13, 27


@pytest.fixture
def app(window, tmp_path):
    app = mount(DrivetimeApp(Config(), connect=False, settings_path=tmp_path / "ui.json"))
    for event in SAMPLE_EVENTS:
        app.receive_event(event)
    yield app
    unmount(app)
    Window.size = (800, 480)


def _tappable(layer) -> set[int]:
    """The controls a finger could tap, found independently of the knob's own walk."""
    return {
        id(widget)
        for widget in visible(layer)
        if isinstance(widget, ButtonBehavior) and not widget.disabled
    }


@pytest.mark.parametrize("view", [*SCREEN_VIEWS, "typing", "pairing"])
def test_turning_walks_every_control_once_in_reading_order(app, view):
    stage(app, view, "day", (800, 480), SAMPLE_PAIRING, SAMPLE_LISTS)
    layer = app.pairing_dialog or app.root
    expected = _tappable(layer)
    assert expected, "nothing to reach"

    seen = []
    for _ in range(len(expected)):
        app.knob_turn(+1)
        seen.append(app.knob.focused)
    assert {id(widget) for widget in seen} == expected  # every control, none twice
    assert len(seen) == len(expected)
    assert sum(widget.focused for widget in seen) == 1  # one ring at a time
    tops = [window_box(widget)[3] for widget in seen]
    assert tops == sorted(tops, reverse=True) or _rows_then_columns(seen)

    app.knob_turn(+1)  # round again to the first
    assert app.knob.focused is seen[0]
    app.knob_turn(-1)
    assert app.knob.focused is seen[-1]


def _rows_then_columns(widgets) -> bool:
    """Reading order: each control is on a lower row, or on the same row further right."""
    boxes = [window_box(widget) for widget in widgets]
    for before, after in itertools.pairwise(boxes):
        same_row = abs(before[3] - after[3]) <= 8
        if not (after[3] < before[3] - 8 or (same_row and after[0] > before[0])):
            return False
    return True


def test_order_is_rows_then_columns_on_a_list_screen(app):
    stage(app, "rooms", "day", (800, 480), lists=SAMPLE_LISTS)
    controls = app.knob.controls()
    assert _rows_then_columns(controls)
    assert controls[-1] is app.root.ids.nav_more.__self__  # the nav bar comes last


def _focus(app, widget) -> None:
    widget = widget.__self__  # ids hold weak proxies; the knob holds the widget
    for _ in range(len(app.knob.controls()) + 1):  # from no focus, one more turn than controls
        if app.knob.focused is widget:
            return
        app.knob_turn(+1)
    raise AssertionError(f"the knob never reached {widget}")


def test_a_push_selects_and_back_goes_back(app):
    stage(app, "now_playing", "day", (800, 480), lists=SAMPLE_LISTS)
    _focus(app, app.root.ids.nav_more)
    app.knob_press()
    frames(2)
    assert app.current_screen == "more"

    more = app.root.ids.screens.current_screen.ids
    _focus(app, more.open_settings)
    app.knob_press()
    frames(2)
    assert app.current_screen == "settings"

    app.go_back()  # a sub-screen returns to where it was opened from
    frames(2)
    assert app.current_screen == "more"
    app.go_back()  # a tab returns to Now playing
    frames(2)
    assert app.current_screen == "now_playing"


def test_back_on_the_pairing_dialog_says_no(app):
    stage(app, "pairing", "day", (800, 480), SAMPLE_PAIRING)
    assert app.pairing_dialog is not None
    app.go_back()
    frames(2)
    assert app.pairing_dialog is None
    assert app.banner == "The engine is not connected"  # the no was sent (nowhere to go here)


def test_a_desk_keyboard_turns_pushes_and_goes_back(app):
    stage(app, "now_playing", "day", (800, 480))
    first = app.knob.controls()[0]
    Window.dispatch("on_key_down", DOWN_ARROW, 0, None, [])
    assert app.knob.focused is first
    assert first.focused

    _focus(app, app.root.ids.nav_rooms)
    Window.dispatch("on_key_down", ENTER, 0, None, [])
    frames(2)
    assert app.current_screen == "rooms"
    handled = Window.dispatch("on_key_down", ESCAPE, 0, None, [])
    frames(2)
    assert handled  # Escape is back, not "close the app"
    assert app.current_screen == "now_playing"
