"""The panel simulator over a real pty: what a unit opening its port reads and can do."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hw.panel.firmware import panel_codec as codec
from hw.panel.simulator import PanelSimulator, PtyPort, run_command
from tests.hw.unit_end import UnitEnd

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def panel(tmp_path):
    with PanelSimulator(str(tmp_path / "drivetime-panel")) as simulator:
        yield simulator


@pytest.fixture
def unit(panel):
    end = UnitEnd(panel.link_path)
    # booted and settled: ignition known, the first light report in (then only heartbeats)
    end.wait(lambda: end.events(codec.IGNITION) and end.events(codec.LIGHT), "boot reports")
    yield end
    end.close()


def test_the_link_points_at_the_ptys_device(panel):
    assert os.path.realpath(panel.link_path) == panel.device_path
    assert panel.device_path.startswith("/dev/pts/")


def test_a_turn_arrives_as_knob_steps(panel, unit):
    panel.turn(3)
    unit.wait(lambda: unit.knob_steps() == 3, "3 steps")
    panel.turn(-5)
    unit.wait(lambda: unit.knob_steps() == -2, "5 steps back")
    unit.run_for(0.2)
    assert unit.knob_steps() == -2


def test_presses_arrive_as_short_and_long(panel, unit):
    panel.press(2)
    panel.press(5, long=True)
    unit.wait(lambda: len(unit.events(codec.PRESS)) == 2, "two presses")
    unit.run_for(0.2)
    assert unit.events(codec.PRESS) == [
        (codec.PRESS, (2, codec.SHORT)),
        (codec.PRESS, (5, codec.LONG)),
    ]


def test_acks_stop_the_resends(panel, unit):
    panel.press(1)
    unit.wait(lambda: unit.events(codec.PRESS), "the press")
    unit.run_for(0.4)
    assert [kind for _, kind, _ in unit.arrivals].count(codec.PRESS) == 1


def test_without_acks_the_same_frame_comes_again_every_resend_interval(panel):
    deaf = UnitEnd(panel.link_path, ack=False)
    try:
        deaf.run_for(1.6)
        # the boot heartbeat went out before the port was open; the event after it is whole
        seqs = list(dict.fromkeys(seq for _, _, seq in deaf.arrivals))
        copies = [when for when, _, seq in deaf.arrivals if seq == seqs[1]]
        assert len(copies) == 1 + codec.RESENDS
        gaps = [later - earlier for earlier, later in itertools.pairwise(copies)]
        assert all(0.09 < gap < 0.3 for gap in gaps), gaps
    finally:
        deaf.close()


def test_noise_on_the_line_produces_no_event(panel, unit):
    unit.run_for(0.1)
    before = list(unit.delivered)
    panel.inject_noise(bytes(range(1, 256)) * 4 + b"\x00\x05\x01\x00" + os.urandom(300))
    panel.press(3)
    unit.wait(lambda: unit.events(codec.PRESS), "the press after the noise")
    new = [event for event in unit.delivered[len(before) :] if event[0] != codec.HEARTBEAT]
    assert new == [(codec.PRESS, (3, codec.SHORT))]
    assert unit.reader.dropped >= 1


def test_leds_and_backlight_set_by_the_unit_show_on_the_panel(panel, unit):
    unit.send(codec.LEDS, 0b00101)
    unit.send(codec.BACKLIGHT, 30)
    deadline = time.monotonic() + 2
    while (panel.leds, panel.backlight) != (0b00101, 30) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert (panel.leds, panel.backlight) == (0b00101, 30)


def test_ignition_and_light_are_reported(panel, unit):
    panel.ignition(False)
    panel.light(420)
    unit.wait(lambda: (codec.IGNITION, (0,)) in unit.delivered, "ignition off", timeout_s=3)
    # 500 → 420: reported as the 0.8 s average crosses 5 % on its way, so within 5 % of 420
    unit.wait(lambda: len(unit.events(codec.LIGHT)) == 2, "the new light level", timeout_s=3)
    assert 420 <= unit.events(codec.LIGHT)[1][1][0] < 450


def test_unplug_and_replug_keep_the_link_path_working(panel, unit):
    old_device = panel.device_path
    panel.unplug()
    unit.wait(lambda: unit.hung_up, "the unit sees the port gone")
    assert not os.path.lexists(panel.link_path)  # as udev removes its name
    panel.replug()
    assert os.path.realpath(panel.link_path) == panel.device_path
    again = UnitEnd(panel.link_path)
    try:
        again.wait(lambda: again.events(codec.HEARTBEAT), "a heartbeat after the reboot")
        uptime = again.events(codec.HEARTBEAT)[0][1][0]
        assert uptime < 1000  # a fresh boot, as a bus-powered Pico gives
        panel.press(4)
        again.wait(lambda: again.events(codec.PRESS), "a press on the new port")
        assert again.events(codec.PRESS) == [(codec.PRESS, (4, codec.SHORT))]
    finally:
        again.close()
    assert panel.boots == 2
    assert old_device  # (the kernel may hand out the same pts number again)


def test_nothing_written_while_the_port_is_closed_waits_for_a_unit_that_opens_it_late():
    port = PtyPort()
    try:
        port.write(codec.encode(codec.PRESS, 1, 1, codec.SHORT))  # dropped: nobody listens
        late = UnitEnd(port.device_path, ack=False)
        try:
            assert port.host_attached()
            port.write(codec.encode(codec.PRESS, 2, 2, codec.SHORT))
            late.wait(lambda: late.frames, "the frame written after opening")
            late.run_for(0.05)
            assert late.frames == [(codec.PRESS, 2, (2, codec.SHORT))]
        finally:
            late.close()
        assert not port.host_attached()
    finally:
        port.close()


def test_commands_are_checked(panel):
    assert run_command(panel, "press 9").startswith("error: control 9")
    assert run_command(panel, "press 1 longer") == "error: press C [long]"
    assert run_command(panel, "light 2000").startswith("error:")
    assert run_command(panel, "fly away").startswith("error: unknown command")
    assert run_command(panel, "state") == "leds 00000 backlight 255"


def test_the_command_line_simulator_prints_its_port_and_takes_commands(tmp_path):
    link = tmp_path / "panel"
    process = subprocess.Popen(
        [sys.executable, "-m", "hw.panel.simulator", "--link", str(link)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("panel on /dev/pts/") and str(link) in first
        unit = UnitEnd(str(link))
        try:
            process.stdin.write("press 2 long\n")
            process.stdin.flush()
            unit.wait(lambda: unit.events(codec.PRESS), "the long press", timeout_s=4)
            assert unit.events(codec.PRESS) == [(codec.PRESS, (2, codec.LONG))]
        finally:
            unit.close()
        process.stdin.write("quit\n")
        process.stdin.flush()
        assert process.wait(5) == 0
    finally:
        process.kill()
    assert not link.exists()
