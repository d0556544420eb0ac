"""The simulated panel (the real firmware) against the unit's real driver (pyserial): the two
halves of the panel link, written apart, agree on the wire."""

from __future__ import annotations

import queue
import time

import pytest

from hw.panel.events import ControlPressed, Heartbeat, IgnitionChanged, KnobTurned, LightChanged
from hw.panel.serial_link import SerialPanel
from hw.panel.simulator import PanelSimulator


@pytest.fixture
def wired(tmp_path):
    with PanelSimulator(str(tmp_path / "drivetime-panel")) as panel:
        events: queue.Queue = queue.Queue()
        connections: list[bool] = []
        unit = SerialPanel(panel.link_path, 115200, events.put, connections.append, 0.05)
        unit.start()
        yield panel, unit, events, connections
        unit.stop()


def next_event(events: queue.Queue, kinds: tuple[type, ...], timeout_s: float = 3.0):
    deadline = time.monotonic() + timeout_s
    while True:
        event = events.get(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(event, kinds):
            return event


def _wait(condition, what: str, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_the_driver_receives_the_panels_events(wired):
    panel, unit, events, _ = wired
    assert next_event(events, (IgnitionChanged,)) == IgnitionChanged(on=True)
    assert next_event(events, (LightChanged,)) == LightChanged(500)
    panel.turn(4)
    steps = 0
    while steps < 4:
        steps += next_event(events, (KnobTurned,)).steps
    assert steps == 4
    panel.press(1)
    panel.press(0, long=True)
    assert next_event(events, (ControlPressed,)) == ControlPressed(1, long=False)
    assert next_event(events, (ControlPressed,)) == ControlPressed(0, long=True)
    time.sleep(0.3)
    assert [e for e in list(events.queue) if not isinstance(e, Heartbeat)] == []


def test_the_drivers_leds_and_backlight_light_the_panel(wired):
    panel, unit, _, _ = wired
    _wait(lambda: unit.connected, "connected")
    unit.set_leds(0b01001)
    unit.set_backlight(12)
    _wait(lambda: (panel.leds, panel.backlight) == (0b01001, 12), "the outputs set")


def test_the_driver_finds_the_panel_again_after_a_replug(wired):
    panel, unit, events, connections = wired
    next_event(events, (IgnitionChanged,))
    unit.set_leds(0b00011)
    _wait(lambda: panel.leds == 0b00011, "the LEDs set")
    panel.unplug()
    _wait(lambda: not unit.connected, "the driver saw the panel go")
    panel.replug()  # rebooted: LEDs dark until the driver sends its state on reconnecting
    _wait(lambda: unit.connected, "reconnected")
    _wait(lambda: panel.leds == 0b00011, "the LEDs restored by the driver")
    panel.press(3)
    assert next_event(events, (ControlPressed,)) == ControlPressed(3, long=False)
    assert connections[:3] == [True, False, True]
