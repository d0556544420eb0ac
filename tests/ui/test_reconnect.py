"""The engine stops: the screen says so. It comes back: the screen reconnects by itself, and
its taps reach the new engine."""

from __future__ import annotations

from device.ui.app import RESTARTING_WORDS
from tests.ui.screen import tap, wait_until


def test_the_screen_survives_an_engine_restart(ui, engines):
    runner = engines()
    runner.start()
    app = ui(runner.config)
    banner = app.root.ids.banner
    screen = app.root.ids.screens.get_screen("now_playing").ids
    wait_until(lambda: app.engine_connected and banner.opacity == 0, "connected, no banner")
    assert screen.state_label.text == "Nothing playing"

    runner.stop()
    wait_until(lambda: banner.opacity == 1, "the banner shown", timeout_s=3)
    assert app.root.ids.banner_label.text == RESTARTING_WORDS
    assert screen.state_label.text == "Waiting for the engine"

    engine = runner.start()  # a new engine process would do the same: same socket path
    wait_until(lambda: banner.opacity == 0, "reconnected by itself", timeout_s=5)
    wait_until(lambda: screen.state_label.text == "Nothing playing", "the new engine's state")
    tap(screen.volume_down)
    wait_until(lambda: engine.player.snapshot().volume == 95, "a tap reaching the new engine")
    wait_until(lambda: screen.volume_label.text == "95%", "its volume on screen")


def test_a_screen_started_before_the_engine_connects_when_it_appears(ui, engines):
    runner = engines()
    app = ui(runner.config)
    wait_until(lambda: app.root.ids.banner.opacity == 1, "a banner while no engine runs")
    assert app.root.ids.banner_label.text == "Connecting to the engine…"
    tap(app.root.ids.screens.get_screen("now_playing").ids.volume_up)
    wait_until(lambda: "not answering" in app.notice, "a tap without an engine explained")

    runner.start()
    wait_until(lambda: app.engine_connected and app.root.ids.banner.opacity == 0, "connected")
