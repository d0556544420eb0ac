"""The touchscreen against a real engine playing a real room (Icecast on loopback): it shows
what the engine plays, and its taps change what the engine does."""

from __future__ import annotations

import time

from studio.rooms import DEMO_ROOMS
from tests.ui.screen import hold, showing, tap, wait_until

ROOM = DEMO_ROOMS[0]  # "Late Jazz with Mara"; first song "Good evening, drivers"


def _playing_room(engines, icecast, room_source):
    source = room_source(ROOM, song_s=30.0)  # one song for the whole test
    runner = engines(catalog={"sources": [f"icecast:{icecast.base_url}"]})
    engine = runner.start()

    async def catalog_lists_the_room() -> bool:
        page = await engine.catalog.browse("live", 0, 10)
        return any(item["u"] == source.mount_url for item in page["items"])

    deadline = time.monotonic() + 5
    while not runner.run(catalog_lists_the_room()):
        assert time.monotonic() < deadline, "the engine's catalog never listed the room"
        time.sleep(0.05)
    runner.run(engine.player.join(source.mount_url))
    return runner, engine


def test_the_screen_shows_what_the_engine_plays_and_taps_drive_the_engine(
    ui, engines, icecast, room_source
):
    runner, engine = _playing_room(engines, icecast, room_source)
    app = ui(runner.config)
    screen = app.root.ids.screens.get_screen("now_playing").ids

    wait_until(lambda: screen.title_label.text == "Good evening, drivers", "the song's title")
    # The state, then the room's listeners from the catalog (Icecast's count at its refresh,
    # before the join: 0) — the unit itself is listening, so never "0 listening".
    wait_until(lambda: screen.state_label.text.split(" · ")[0] == "Playing", "the state")
    wait_until(lambda: screen.state_label.text.endswith(" listening"), "the listener count")
    assert screen.state_label.text.endswith(" · 1 listening")
    assert screen.artist_label.text == "Mara Okafor"
    # The catalog's name, not the URL's words; then the show's host (the stream's HOST tag).
    wait_until(
        lambda: screen.room_label.text == f"Late Jazz with Mara · {ROOM.tags['HOST']}",
        "the room's name and host",
    )
    assert screen.live_badge.opacity == 1
    assert app.root.ids.banner.opacity == 0  # connected: no banner

    runner.call(engine.player.set_volume, 40)  # from elsewhere (the phone, the knob)
    wait_until(lambda: screen.volume_label.text == "40%", "the engine's volume on screen")

    tap(screen.volume_up)
    wait_until(lambda: engine.player.snapshot().volume == 45, "the engine's volume raised")
    wait_until(lambda: screen.volume_label.text == "45%", "the raised volume on screen")
    tap(screen.volume_down)
    tap(screen.volume_down)
    wait_until(lambda: engine.player.snapshot().volume in (35, 40), "the volume lowered")

    assert screen.play_pause.text == "Pause"
    tap(screen.play_pause)
    wait_until(lambda: engine.player.snapshot().state == "paused", "the engine paused")
    wait_until(lambda: screen.play_pause.text == "Play", "the button offering Play")
    assert screen.state_label.text.split(" · ")[0] == "Paused"
    tap(screen.play_pause)
    wait_until(lambda: engine.player.snapshot().state != "paused", "the engine playing again")
    wait_until(lambda: screen.play_pause.text == "Pause", "the button offering Pause")

    tap(screen.mode_road)
    wait_until(lambda: engine.player.snapshot().mode == "road", "the engine in road mode")
    wait_until(lambda: screen.mode_road.accent and not screen.mode_live.accent, "Road selected")
    wait_until(lambda: " of 30 s" in screen.buffer_label.text, "the road buffer's target")


def test_holding_a_preset_stores_the_room_and_tapping_it_plays_it(
    ui, engines, icecast, room_source
):
    runner, engine = _playing_room(engines, icecast, room_source)
    app = ui(runner.config)
    wait_until(lambda: app.room_name == "Late Jazz with Mara", "the room on screen")
    tap(app.root.ids.nav_presets)
    presets = showing(app, "presets").ids

    hold(presets.preset_2)
    wait_until(lambda: runner.run(engine.catalog.browse("presets", 0, 4))["items"], "stored")
    page = runner.run(engine.catalog.browse("presets", 0, 4))
    assert page["items"] == [
        {"s": 2, "k": "room", "t": engine.player.snapshot().room, "n": "Late Jazz with Mara"}
    ]
    wait_until(lambda: presets.preset_2.label == "Late Jazz with Mara", "the preset's name")
    assert app.banner == "Preset 2: Late Jazz with Mara"
    assert app.current_screen == "presets"  # the hold was not also a tap (which plays)

    runner.run(engine.player.stop())
    wait_until(lambda: app.player_state == "idle", "the player stopped")
    tap(presets.preset_2)
    wait_until(lambda: engine.player.snapshot().state != "idle", "the preset joined")
    showing(app, "now_playing")
