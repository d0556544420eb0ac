"""The unit's panel driver on a real serial device (a pty pair stands in for the USB CDC
port): events in, ACKs out, repeats and noise filtered, and the panel found again after it
was unplugged and came back under the same stable name."""

from __future__ import annotations

import queue
import time

import pytest

from hw.panel.events import ControlPressed, IgnitionChanged, KnobTurned
from hw.panel.firmware import panel_codec as codec
from hw.panel.serial_link import SerialPanel
from tests.hw.pty_panel import PtyPanel


@pytest.fixture
def wired(tmp_path):
    panel = PtyPanel(str(tmp_path / "drivetime-panel"))
    events: queue.Queue = queue.Queue()
    connections: list[bool] = []
    unit = SerialPanel(panel.link_path, 115200, events.put, connections.append, reopen_s=0.05)
    unit.start()
    yield panel, unit, events, connections
    unit.stop()
    panel.unplug()


def _wait(condition, what: str, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def _acks(messages) -> list[int]:
    return [fields[0] for kind, _, fields in messages if kind == codec.ACK]


def test_events_arrive_and_each_is_acknowledged(wired):
    panel, unit, events, _ = wired
    _wait(lambda: unit.connected, "the unit opened the panel")
    state = panel.received(want=2)  # the unit sends its LEDs and backlight on connecting
    assert {kind for kind, _, _ in state} == {codec.LEDS, codec.BACKLIGHT}

    panel.send(codec.encode(codec.KNOB, 1, -2) + codec.encode(codec.PRESS, 2, 3, codec.LONG))
    assert events.get(timeout=2) == KnobTurned(-2)
    assert events.get(timeout=2) == ControlPressed(3, long=True)
    assert _acks(panel.received(want=2)) == [1, 2]


def test_a_resent_event_is_acknowledged_again_but_delivered_once(wired):
    panel, unit, events, _ = wired
    _wait(lambda: unit.connected, "connected")
    press = codec.encode(codec.PRESS, 9, 1, codec.SHORT)
    panel.send(press)
    panel.send(press)  # the panel never saw the first ACK
    panel.send(codec.encode(codec.PRESS, 10, 1, codec.SHORT))  # a new press of the same button
    assert events.get(timeout=2) == ControlPressed(1, long=False)
    assert events.get(timeout=2) == ControlPressed(1, long=False)
    with pytest.raises(queue.Empty):  # not a third press
        events.get(timeout=0.3)
    assert _acks(panel.received(want=5))[-3:] == [9, 9, 10]


def test_garbage_on_the_line_never_becomes_a_press(wired):
    panel, unit, events, _ = wired
    _wait(lambda: unit.connected, "connected")
    panel.send(bytes(range(256)) * 8 + b"\x00\x01\x02\x00")
    panel.send(codec.encode(codec.IGNITION, 3, 0))
    assert events.get(timeout=2) == IgnitionChanged(on=False)  # the first real event
    assert events.empty()
    assert unit.dropped >= 1


def test_unplugged_and_replugged_under_the_same_name_it_carries_on(wired):
    panel, unit, events, connections = wired
    _wait(lambda: unit.connected, "connected")
    panel.unplug()
    _wait(lambda: not unit.connected, "the unit noticed the panel gone")
    panel.plug()  # re-enumerated: a new device behind the same udev name
    _wait(lambda: unit.connected, "found again")
    assert connections == [True, False, True]
    panel.received(want=2)
    panel.send(codec.encode(codec.KNOB, 0, 1))
    assert events.get(timeout=2) == KnobTurned(1)


def test_leds_and_backlight_are_sent_on_change(wired):
    panel, unit, _, _ = wired
    _wait(lambda: unit.connected, "connected")
    panel.received(want=2)
    unit.set_leds(0b0100)  # preset 3 playing
    unit.set_backlight(40)
    got = panel.received(want=4)
    assert (codec.LEDS, 0, (0b0100,)) in got
    assert (codec.BACKLIGHT, 0, (40,)) in got
