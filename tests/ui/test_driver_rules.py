"""Every view, both themes, the three screen sizes: touch targets, text sizes, contrast and
no clipped text, checked over the widget tree with long names in several scripts."""

from __future__ import annotations

import pytest
from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from device.config import Config
from device.ui.app import DrivetimeApp
from device.ui.sample import LONG_EVENTS, LONG_LISTS, LONG_PAIRING, LONG_PRESETS
from device.ui.staging import SIZES, VIEWS, mount, stage, unmount
from device.ui.theme import THEMES
from device.ui.widgets import Surface, TextLabel, Tile, TouchButton
from tests.ui.driver_rules import breaches, visible
from tests.ui.screen import frames

NAV = 6
# Controls each view shows besides the nav bar and list tiles (a count the walk must reach).
CONTROLS = {
    "now_playing": 5,  # volume down/up, play, live, road
    "offline": 5,
    "presets": 4,
    "pairing": 2 - NAV,  # the dialog alone: confirm, reject
    "rooms": 5 + 1,  # view chips, page down
    "search": 2,  # the box (a tap opens the keyboard), page down
    "driving": 0,  # search while moving: no box, one page, no paging
    "typing": 1 + 1 + 30,  # back, the box, ten keys a row
    "library": 3 + 1,
    "more": 0,  # two tiles: Bluetooth, Settings
    "bluetooth": 1 + 1,  # pair, page down
    "settings": 5 + 3,  # theme, language, three outputs
}


@pytest.fixture(scope="module")
def long_names_app(window):
    app = mount(DrivetimeApp(Config(), connect=False))
    for event in LONG_EVENTS:
        app.receive_event(event)
    app.presets = list(LONG_PRESETS)
    yield app
    unmount(app)
    Window.size = (800, 480)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("view", VIEWS)
def test_view_follows_the_driver_rules(long_names_app, view, theme, size):
    shown = stage(long_names_app, view, theme, size, LONG_PAIRING, LONG_LISTS)
    assert tuple(Window.size) == size
    assert breaches(shown, size) == []
    labels = [w for w in visible(shown) if isinstance(w, TextLabel)]
    controls = [w for w in visible(shown) if isinstance(w, ButtonBehavior)]
    tiles = [w for w in controls if isinstance(w, Tile)]
    listing = long_names_app.root.ids.screens.current_screen.ids.get("listing")
    if listing is not None and view not in ("pairing", "typing"):  # a full page of tiles
        assert len(tiles) == listing.page_size >= 2
        assert len(listing.ids.grid.children) == listing.page_size
    elif view != "more":
        assert tiles == []
    assert len(controls) - len(tiles) == CONTROLS[view] + NAV  # the walk saw every control
    if view not in ("presets", "more", "settings", "typing") and size == SIZES[0]:
        assert any(label.is_shortened for label in labels)  # long names were there, shortened
    if view == "pairing":
        assert shown.ids.digits_label.text == "000 000"


def test_the_check_catches_small_faint_and_overflowing_widgets(long_names_app):
    ground = (0.5, 0.5, 0.5, 1)
    root = Surface(bg_color=ground, size=(600, 200), size_hint=(None, None))
    row = BoxLayout(size=(600, 100), size_hint=(None, None))
    small, faint, clipped = (
        TouchButton(text="OK"),
        TextLabel(text="faint"),
        TextLabel(text="x" * 80),
    )
    for widget in (small, faint, clipped):
        row.add_widget(widget)
    root.add_widget(row)
    Window.add_widget(root)
    try:
        frames(3)
        # Set after the kv rules (which bind to the theme) have run: the faults under test.
        small.size_hint_x, small.size = None, (60, 60)
        small.bg_color = small.border_color = ground
        faint.color = ground
        clipped.shorten, clipped.size_hint_x, clipped.width, clipped.height = False, None, 100, 20
        frames(3)
        found = breaches(root, tuple(Window.size))
    finally:
        Window.remove_widget(root)
    assert "TouchButton 'OK': touch target 60 dp < 76 dp" in found
    assert "TouchButton 'OK': control contrast 1.00 < 3.0" in found
    assert "TextLabel 'faint': text contrast 1.00 < 4.5" in found
    assert any(line.endswith("px wide overflows a 100 px box") for line in found), found
    assert any(line.endswith("px high in a 20 px box") for line in found), found
