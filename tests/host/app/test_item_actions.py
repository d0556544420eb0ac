"""What the phone offers for a search result: presets hold rooms only (a track as a preset is
refused by the car's protocol, and must never reach it as a crash on the phone)."""

from __future__ import annotations

from device.protocol.catalog_messages import MAX_QUERY_CHARS
from device.ui.staging import mount, settle, unmount
from host.app.app import PhoneApp
from host.app.items import Item
from host.app.screens.search import PhoneSearchScreen


def test_a_track_offers_no_preset_and_storing_one_is_refused_in_words(phone_window, tmp_path):
    app = mount(PhoneApp(lambda: None, tmp_path / "unit.json", connect=False))
    try:
        search = app.root.ids.screens.get_screen("search")
        assert isinstance(search, PhoneSearchScreen)
        track = Item("Night Bus", "The Blue Ring Trio", "track", "/media/usb0/a.flac")
        search.actions.item = track
        settle()
        actions = search.actions.ids
        assert actions.preset_1.parent.disabled and actions.preset_1.parent.opacity == 0
        assert actions.relay.disabled and actions.favorite.disabled
        app.store_preset(1, track)  # as if it were tapped anyway
        assert app.notice == "Presets from the phone hold rooms"

        room = Item("Late Jazz", "", "room", "http://x/late-jazz.opus")
        search.actions.item = room
        settle()
        assert not actions.preset_1.parent.disabled and actions.preset_1.parent.opacity == 1

        app.search("x" * (MAX_QUERY_CHARS + 400))  # a pasted wall of text: clipped, no raise
    finally:
        unmount(app)
