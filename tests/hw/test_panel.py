"""The panel's logic on a line in memory: what the unit receives, resends until ACK, outputs."""

from __future__ import annotations

import itertools
import random

from hw.panel.firmware import panel_codec as codec
from hw.panel.firmware.panel import CONTROLS, FIRMWARE_VERSION, MAX_QUEUED, Panel
from hw.panel.firmware.ticks import PERIOD, ticks_add
from tests.hw.unit_end import MemoryUnit

QUIET = {name: 0 for name in CONTROLS} | {"knob_a": 1, "knob_b": 1, "ignition": 1, "light": 0}
CLOCKWISE = ((0, 1), (0, 0), (1, 0), (1, 1))


class Bench:
    """A Panel wired to a MemoryUnit, run one ms at a time."""

    def __init__(self, unit: MemoryUnit | None = None, start_ms: int = 0) -> None:
        self.unit = unit if unit is not None else MemoryUnit()
        self.sent: list[tuple[int, bytes]] = []  # (ms, frame) as the panel wrote them
        self.shown: list[tuple[int, int]] = []
        self.panel = Panel(self._send, lambda leds, level: self.shown.append((leds, level)))
        self.levels = dict(QUIET)
        self.now = start_ms
        self.connected = True
        self._outbox = b""

    def _send(self, frame: bytes) -> None:
        self.sent.append((self.now, frame))
        if self.connected:
            self._outbox += self.unit.exchange(frame)

    def run(self, ms: int, **levels: int) -> None:
        self.levels.update(levels)
        for _ in range(ms):
            if self._outbox:
                self.panel.receive(self._outbox)
                self._outbox = b""
            self.panel.tick(self.now, self.levels)
            self.now = ticks_add(self.now, 1)

    def press(self, control: int, hold_ms: int) -> None:
        self.run(hold_ms, **{CONTROLS[control]: 1})
        self.run(40, **{CONTROLS[control]: 0})

    def turn(self, detents: int, ms_per_quarter: int = 2) -> None:
        for _ in range(detents):
            for a, b in CLOCKWISE:
                self.run(ms_per_quarter, knob_a=a, knob_b=b)

    def frames(self, kind: int) -> list[tuple[int, int, tuple]]:
        """(ms sent, seq, fields) of every copy of ``kind`` the panel wrote."""
        found = []
        for when, frame in self.sent:
            got_kind, seq, fields = codec.decode(frame.strip(b"\x00"))
            if got_kind == kind:
                found.append((when, seq, fields))
        return found


def test_a_short_and_a_long_press_reach_the_unit_once_each():
    bench = Bench()
    bench.run(600)
    bench.press(2, hold_ms=150)
    bench.press(5, hold_ms=1000)
    bench.run(200)
    assert bench.unit.events(codec.PRESS) == [
        (codec.PRESS, (2, codec.SHORT)),
        (codec.PRESS, (5, codec.LONG)),
    ]
    assert len(bench.frames(codec.PRESS)) == 2  # acknowledged at once: no resends


def test_the_first_things_said_are_a_heartbeat_and_the_ignition_state():
    bench = Bench()
    bench.run(600)
    kinds = [kind for kind, _ in bench.unit.delivered]
    assert kinds[0] == codec.HEARTBEAT
    assert bench.unit.events(codec.IGNITION) == [(codec.IGNITION, (1,))]


def test_an_unacknowledged_event_is_resent_with_the_same_seq_then_given_up():
    bench = Bench()
    bench.run(600)
    bench.connected = False  # the unit hears nothing and acknowledges nothing
    bench.press(1, hold_ms=100)
    bench.run(1500)
    copies = bench.frames(codec.PRESS)
    assert len(copies) == 1 + codec.RESENDS
    assert len({seq for _, seq, _ in copies}) == 1
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(copies)]
    assert gaps == [codec.RESEND_MS] * codec.RESENDS
    assert bench.panel.gave_up >= 1


def test_an_ack_stops_the_resends():
    lost_first = MemoryUnit(lose_ack=lambda seq, copy: copy == 0)  # the first ACK of each lost
    bench = Bench(lost_first)
    bench.run(600)
    bench.press(3, hold_ms=100)
    bench.run(1000)
    copies = bench.frames(codec.PRESS)
    assert len(copies) == 2  # sent, lost ACK, resent once, acknowledged
    assert copies[1][0] - copies[0][0] == codec.RESEND_MS
    assert bench.unit.events(codec.PRESS) == [(codec.PRESS, (3, codec.SHORT))]  # once


def test_with_acks_lost_at_random_every_event_arrives_exactly_once_in_order():
    chance = random.Random(7)
    bench = Bench(MemoryUnit(lose_ack=lambda seq, copy: chance.random() < 0.4))
    bench.run(600)
    expected = []
    for round_ in range(12):
        control = round_ % 6
        bench.press(control, hold_ms=60)
        expected.append((codec.PRESS, (control, codec.SHORT)))
        bench.turn(2)
        bench.run(250)  # a driver's pace: a few actions a second
    bench.run(3000)
    assert bench.unit.events(codec.PRESS) == expected
    assert bench.unit.knob_steps() == 24
    assert bench.panel.gave_up == 0
    assert sum(1 for kind, _, _ in bench.unit.frames if kind == codec.PRESS) > 12  # resends


def test_knob_steps_waiting_behind_an_event_in_flight_become_one_knob_event():
    slow = MemoryUnit(lose_ack=lambda seq, copy: copy < 2)  # ACKs arrive on the third copy
    bench = Bench(slow)
    bench.run(800)  # past the first light report, so only the knob queues behind the press
    bench.press(1, hold_ms=50)  # in flight for ~240 ms
    bench.turn(5)
    bench.run(1000)
    assert bench.unit.events(codec.KNOB) == [(codec.KNOB, (5,))]


def test_a_heartbeat_every_second_with_the_uptime_across_the_ticks_wrap():
    bench = Bench(start_ms=PERIOD - 1500)
    bench.run(3500)
    beats = [fields for kind, fields in bench.unit.delivered if kind == codec.HEARTBEAT]
    assert [uptime for uptime, _ in beats] == [0, 1000, 2000, 3000]
    assert {version for _, version in beats} == {FIRMWARE_VERSION}


def test_leds_and_backlight_from_the_unit_drive_the_outputs_once_per_change():
    bench = Bench()
    bench.run(10)
    leds = codec.encode(codec.LEDS, 0, 0b10101)
    bench.panel.receive(leds + codec.encode(codec.BACKLIGHT, 0, 40))
    bench.panel.receive(leds)  # the unit's periodic refresh: nothing new
    assert (bench.panel.leds, bench.panel.backlight) == (0b10101, 40)
    assert bench.shown == [(0b10101, 40)]


def test_noise_from_the_unit_changes_nothing():
    bench = Bench()
    bench.connected = False
    bench.run(10)  # a heartbeat in flight
    in_flight = bench.frames(codec.HEARTBEAT)[0][1]
    noise = random.Random(3).randbytes(2000) + b"\x00" + codec.encode(codec.ACK, 0, in_flight)[5:]
    bench.panel.receive(noise)
    assert bench.panel.dropped > 0
    assert (bench.panel.leds, bench.shown, bench.panel.acknowledged) == (0, [], 0)


def test_an_ack_of_another_seq_does_not_release_the_event_in_flight():
    bench = Bench()
    bench.connected = False
    bench.run(10)
    in_flight = bench.frames(codec.HEARTBEAT)[0][1]
    bench.panel.receive(codec.encode(codec.ACK, 0, in_flight + 1))
    assert not bench.panel.idle
    bench.panel.receive(codec.encode(codec.ACK, 0, in_flight))
    assert bench.panel.idle


def test_with_no_unit_listening_the_queue_keeps_the_newest_events():
    bench = Bench()
    bench.connected = False
    for _ in range(3 * MAX_QUEUED):
        bench.press(1, hold_ms=30)
    assert bench.panel.discarded > 0
    assert len(bench.panel._queue) <= MAX_QUEUED


def test_an_ignition_off_the_unit_missed_is_said_again():
    """The unit was not listening (booting, restarting) when the ignition went off: the
    panel gave the event up, but says the ignition again every few seconds, so the unit
    still learns it and shuts down."""
    bench = Bench()
    bench.run(600)  # the ignition's starting state, known and acknowledged
    bench.connected = False  # the unit is away
    bench.run(4000, ignition=0)  # long past the resends of the "off"
    assert bench.panel.gave_up >= 1
    assert (codec.IGNITION, (0,)) not in bench.unit.events(codec.IGNITION)  # never got it
    bench.connected = True
    bench.run(5000, ignition=0)
    assert (codec.IGNITION, (0,)) in bench.unit.events(codec.IGNITION)  # the unit has it now
