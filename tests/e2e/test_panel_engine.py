"""The panel drives the real engine: the knob's volume and the screen's lease of it, the
push, presets (hold stores, LEDs show the one playing), back, and the ignition-off shutdown
heard at the output. The contract tests run twice: with the in-process fake panel and with
the serial driver on a pty, the way the Pico's USB serial reaches the unit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from device.frontends.commands import execute
from device.protocol import Knob, Light, PanelInput, Power, PresetSet
from hw.panel.events import (
    ControlPressed,
    IgnitionChanged,
    KnobTurned,
    LightChanged,
    PanelEvent,
)
from hw.panel.firmware import panel_codec as codec
from studio.rooms import DEMO_ROOMS
from tests.e2e.engine_harness import start_engine
from tests.hw.pty_panel import PtyPanel

RATE = 48_000


class Hands:
    """Presses the panel's controls: on the fake directly, or as frames on the pty."""

    def __init__(self, engine, pty: PtyPanel | None) -> None:
        self.engine, self.pty = engine, pty

    def do(self, event: PanelEvent) -> None:
        if self.pty is None:
            self.engine.panel.device.emit(event)
        elif isinstance(event, KnobTurned):
            self.pty.send_event(codec.KNOB, event.steps)
        elif isinstance(event, ControlPressed):
            self.pty.send_event(codec.PRESS, event.control, int(event.long))
        elif isinstance(event, IgnitionChanged):
            self.pty.send_event(codec.IGNITION, int(event.on))
        elif isinstance(event, LightChanged):
            self.pty.send_event(codec.LIGHT, event.permille)

    @property
    def leds(self) -> int:
        if self.pty is None:
            return self.engine.panel.device.leds
        for kind, _, fields in self.pty.received(timeout_s=0.05, want=100):
            if kind == codec.LEDS:
                self._leds = fields[0]
        return getattr(self, "_leds", 0)


async def _unit(tmp_path: Path, kind: str, output: str = "null", **sections):
    pty = PtyPanel(str(tmp_path / "drivetime-panel")) if kind == "serial" else None
    device = "fake" if pty is None else f"serial:{pty.link_path},115200"
    engine, recorder = await start_engine(tmp_path, output, panel={"device": device}, **sections)
    assert engine.panel is not None
    if pty is not None:
        await _until(lambda: engine.panel.device.connected, "the panel opened")
    events: list = []
    engine.events.subscribe(events.append)
    return engine, Hands(engine, pty), events


async def _until(condition, what: str, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout_s} s: {what}"
        await asyncio.sleep(0.01)


PANELS = ["fake", "serial"]


@pytest.mark.parametrize("kind", PANELS)
def test_the_knob_is_volume_until_the_screen_takes_it(tmp_path, kind):
    async def scenario():
        engine, hands, events = await _unit(tmp_path, kind, audio={"volume": 50})
        try:
            hands.do(KnobTurned(3))
            await _until(lambda: engine.player.snapshot().volume == 56, "3 detents up, 2 % each")
            hands.do(KnobTurned(-1))
            await _until(lambda: engine.player.snapshot().volume == 54, "one down")

            await execute(engine.services, Knob(focus=True))  # the screen navigates a list
            hands.do(KnobTurned(-2))
            hands.do(ControlPressed(0, long=False))
            await _until(lambda: len([e for e in events if isinstance(e, PanelInput)]) == 2, "")
            inputs = [e for e in events if isinstance(e, PanelInput)]
            assert inputs == [
                PanelInput(control="knob", action="turn", steps=-2),
                PanelInput(control="knob", action="press"),
            ]
            assert engine.player.snapshot().volume == 54  # not the volume's any more

            await execute(engine.services, Knob(focus=False))  # back on Now playing
            hands.do(KnobTurned(1))
            await _until(lambda: engine.player.snapshot().volume == 56, "the volume again")
        finally:
            await engine.close()

    asyncio.run(scenario())


def test_a_screen_that_stops_renewing_loses_the_knob(tmp_path, monkeypatch):
    monkeypatch.setattr("device.frontends.panel.KNOB_LEASE_S", 0.2)

    async def scenario():
        engine, hands, events = await _unit(tmp_path, "fake", audio={"volume": 50})
        try:
            await execute(engine.services, Knob(focus=True))
            await asyncio.sleep(0.3)  # the screen crashed: no renewal
            hands.do(KnobTurned(1))
            await _until(lambda: engine.player.snapshot().volume == 52, "the volume again")
            assert not [e for e in events if isinstance(e, PanelInput)]
        finally:
            await engine.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", PANELS)
def test_presets_play_hold_stores_leds_follow_and_back_goes_to_the_screen(
    tmp_path, kind, icecast, room_source
):
    jazz, commute = (room_source(room, song_s=30.0) for room in DEMO_ROOMS[:2])

    async def scenario():
        engine, hands, events = await _unit(
            tmp_path, kind, catalog={"sources": [f"icecast:{icecast.base_url}"]}
        )
        try:
            await execute(engine.services, PresetSet(slot=2, kind="room", target=commute.mount_url))
            hands.do(ControlPressed(2, long=False))
            await _until(lambda: engine.player.snapshot().room == commute.mount_url, "preset 2")
            await _until(lambda: hands.leds == 0b0010, "preset 2's LED lit")

            await engine.player.join(jazz.mount_url)
            await _until(lambda: hands.leds == 0, "no preset playing: LEDs off")
            hands.do(ControlPressed(4, long=True))  # hold: store what plays
            await _until(lambda: hands.leds == 0b1000, "stored in 4, and lit")
            page = await engine.catalog.browse("presets", 0, 10)
            stored = {item["s"]: item["t"] for item in page["items"]}
            assert stored == {2: commute.mount_url, 4: jazz.mount_url}

            hands.do(ControlPressed(0, long=False))  # the knob's push: pause
            await _until(lambda: engine.player.snapshot().state == "paused", "paused")
            hands.do(ControlPressed(0, long=False))
            await _until(lambda: engine.player.snapshot().state != "paused", "playing again")

            hands.do(ControlPressed(5, long=False))
            await _until(lambda: PanelInput(control="back", action="press") in events, "back")
        finally:
            await engine.close()

    asyncio.run(scenario())


def _level(path: Path, seconds: float = 0.2) -> float:
    """RMS of the last ``seconds`` written to a file output (s16le stereo)."""
    data = path.read_bytes()
    tail = np.frombuffer(data[-int(seconds * RATE) * 4 :], dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(tail**2))) if tail.size else 0.0


@pytest.mark.parametrize("kind", PANELS)
def test_ignition_off_saves_fades_counts_down_and_powers_off_unless_it_comes_back(
    tmp_path, kind, icecast, room_source
):
    room = room_source(DEMO_ROOMS[0], song_s=30.0)
    heard = tmp_path / "heard.raw"
    marker = tmp_path / "powered-off"
    power = {"shutdown_delay_s": 2.0, "fade_s": 0.5, "poweroff_command": f"touch {marker}"}

    async def scenario():
        engine, hands, events = await _unit(tmp_path, kind, f"file:{heard}", power=power)
        try:
            await engine.player.join(room.mount_url)
            await _until(lambda: heard.exists() and _level(heard) > 300, "the room heard", 10)

            hands.do(IgnitionChanged(on=False))
            await _until(lambda: Power(state="off", seconds=2) in events, "the countdown")
            await asyncio.sleep(0.8)  # fade 0.5 s, and what the output had queued
            assert _level(heard) < 1.0  # silent, not just quieter
            assert engine.player.snapshot().volume == 100  # the driver's volume is kept
            assert 0 <= engine.power.saved_after_s < engine.power.faded_after_s < 1.0

            hands.do(IgnitionChanged(on=True))  # a stop for fuel: the unit stays on
            await _until(lambda: events[-1] == Power(state="on"), "cancelled")
            await _until(lambda: _level(heard) > 300, "the room heard again")
            await asyncio.sleep(2.2)
            assert not marker.exists()

            hands.do(IgnitionChanged(on=False))
            await _until(lambda: marker.exists(), "the power-off command ran", 5)
            states = [e.state for e in events if isinstance(e, Power)]
            assert states[-1] == "powering_off"
            seconds = [e.seconds for e in events if isinstance(e, Power) and e.state == "off"]
            assert seconds[-3:] == [2, 1, 0] or seconds[-2:] == [1, 0]  # counting down
        finally:
            await engine.close()

    asyncio.run(scenario())


def test_the_light_level_is_kept_for_screens_that_connect_later(tmp_path):
    async def scenario():
        engine, hands, _ = await _unit(tmp_path, "fake")
        try:
            hands.do(LightChanged(80))
            await asyncio.sleep(0.05)
            later: list = []
            engine.events.subscribe(later.append, replay=True)
            assert Light(permille=80) in later
        finally:
            await engine.close()

    asyncio.run(scenario())


def test_a_failed_power_off_is_undone_by_the_ignition_coming_back(tmp_path):
    power = {"shutdown_delay_s": 0.3, "fade_s": 0.1, "poweroff_command": "false"}

    async def scenario():
        engine, hands, events = await _unit(tmp_path, "fake", power=power)
        try:
            hands.do(IgnitionChanged(on=False))
            hands.do(IgnitionChanged(on=False))  # the panel re-reporting: no second shutdown
            await _until(lambda: Power(state="powering_off") in events, "power-off tried")
            await asyncio.sleep(0.2)  # `false` failed: the unit is still here, silent
            hands.do(IgnitionChanged(on=True))
            await _until(lambda: events[-1] == Power(state="on"), "on again")
            assert engine.output._volume.target_gain == 1.0  # the driver's 100 %, back
            assert [e.state for e in events if isinstance(e, Power)].count("powering_off") == 1
        finally:
            await engine.close()

    asyncio.run(scenario())
