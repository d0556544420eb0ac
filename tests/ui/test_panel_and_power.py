"""The panel through the engine to the screen: the knob is the volume on Now playing and
the focus ring elsewhere (push selects, back goes back), the ignition-off countdown shows in
the banner, and the ambient light picks day or night when the theme is automatic."""

from __future__ import annotations

from device.ui.theme import DAY, NIGHT
from hw.panel.events import ControlPressed, IgnitionChanged, KnobTurned, LightChanged
from tests.ui.screen import showing, tap, wait_until


def _unit(ui, engines, tmp_path, **sections):
    runner = engines(panel={"device": "fake"}, **sections)
    engine = runner.start()
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")
    panel = engine.panel.device  # the in-process panel: its controls, pressed by hand
    return runner, engine, app, panel


def test_the_knob_turns_the_volume_then_walks_the_screen_it_is_given(ui, engines, tmp_path):
    runner, engine, app, panel = _unit(ui, engines, tmp_path, audio={"volume": 50})
    now = showing(app, "now_playing").ids
    panel.emit(KnobTurned(5))
    wait_until(lambda: now.volume_label.text == "60%", "the volume, from the knob")

    tap(app.root.ids.nav_more)  # the screen now holds the knob
    more = showing(app, "more").ids
    wait_until(lambda: engine.panel.screen_has_knob, "the engine lent the knob")
    panel.emit(KnobTurned(1))
    wait_until(lambda: app.knob.focused is not None, "the focus ring on screen")
    assert app.knob.focused is app.knob.controls()[0]
    assert engine.player.snapshot().volume == 60  # the turn moved the ring, not the volume
    target = more.open_settings.__self__
    for _ in range(len(app.knob.controls())):
        if app.knob.focused is target:
            break
        before = app.knob.focused
        panel.emit(KnobTurned(1))
        wait_until(lambda before=before: app.knob.focused is not before, "the ring moved on")
    assert app.knob.focused is target
    panel.emit(ControlPressed(0, long=False))  # push: select
    showing(app, "settings")
    panel.emit(ControlPressed(5, long=False))  # back
    showing(app, "more")
    panel.emit(ControlPressed(5, long=False))
    showing(app, "now_playing")
    wait_until(lambda: not engine.panel.screen_has_knob, "the knob handed back")
    panel.emit(KnobTurned(-5))
    wait_until(lambda: now.volume_label.text == "50%", "the volume again")


def test_the_ignition_off_countdown_shows_and_goes_when_it_comes_back(ui, engines, tmp_path):
    power = {"shutdown_delay_s": 30.0, "fade_s": 0.1, "poweroff_command": "true"}
    runner, engine, app, panel = _unit(ui, engines, tmp_path, power=power)
    panel.emit(IgnitionChanged(on=False))
    wait_until(lambda: app.banner.startswith("Ignition off: the unit powers off in"), "countdown")
    first = app.banner
    wait_until(lambda: app.banner != first, "counting down", 3)
    assert app.root.ids.banner.opacity == 1
    panel.emit(IgnitionChanged(on=True))
    wait_until(lambda: app.banner == "", "the banner gone")


def test_auto_theme_follows_the_light_sensor(ui, engines, tmp_path):
    runner, engine, app, panel = _unit(ui, engines, tmp_path)
    app.choose_theme("auto")
    panel.emit(LightChanged(40))  # a tunnel, or night
    wait_until(lambda: app.theme is NIGHT, "night colours")
    panel.emit(LightChanged(120))  # between the thresholds: no flip
    wait_until(lambda: app.light_permille == 120, "the new level")
    assert app.theme is NIGHT
    panel.emit(LightChanged(600))
    wait_until(lambda: app.theme is DAY, "day colours")
    app.choose_theme("night")  # the driver's choice beats the sensor
    panel.emit(LightChanged(900))
    wait_until(lambda: app.light_permille == 900, "the new level")
    assert app.theme is NIGHT


def test_left_alone_on_a_list_the_knob_goes_back_to_the_volume(ui, engines, tmp_path, monkeypatch):
    monkeypatch.setattr("device.ui.app.KNOB_IDLE_S", 1.5)
    runner, engine, app, panel = _unit(ui, engines, tmp_path, audio={"volume": 50})
    tap(app.root.ids.nav_rooms)
    showing(app, "rooms")
    wait_until(lambda: engine.panel.screen_has_knob, "the screen holds the knob")
    wait_until(lambda: not engine.panel.screen_has_knob, "given back after 1.5 s untouched", 8)
    panel.emit(KnobTurned(1))
    wait_until(lambda: engine.player.snapshot().volume == 52, "the knob is the volume again")
    tap(showing(app, "rooms").ids.chip_recent)  # the driver is back
    wait_until(lambda: engine.panel.screen_has_knob, "held again")
