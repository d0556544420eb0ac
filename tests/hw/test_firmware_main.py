"""The firmware's main.py itself, on CPython with the simulated ``machine``: its pins, their
polarity, the outputs it drives and its loop."""

from __future__ import annotations

import threading
import time

import pytest

from hw.panel import sim_machine

sim_machine.install()

from hw.panel.firmware import main  # noqa: E402
from hw.panel.firmware import panel_codec as codec  # noqa: E402
from tests.hw.unit_end import MemoryUnit  # noqa: E402


class Rig:
    """main.Firmware on its own simulated board, stepped in simulated ms."""

    def __init__(self) -> None:
        self.board = sim_machine.Board()
        sim_machine.use(self.board)
        self.line = sim_machine.StdioStandIn()
        self.firmware = main.Firmware(self.line)
        self.unit = MemoryUnit()
        self.now = 0

    def run(self, ms: int) -> None:
        for _ in range(ms):
            self.firmware.step(self.now)
            self.line.feed(self.unit.exchange(self.line.take()))
            self.now += 1

    def hold(self, name: str, ms: int) -> None:
        self.board.drive(main.PINS[name], 0)  # a switch to ground
        self.run(ms)
        self.board.release(main.PINS[name])
        self.run(40)


@pytest.fixture
def rig():
    yield Rig()
    sim_machine.use(sim_machine.Board())


def test_the_pin_table_fits_a_pico():
    gpios = list(main.PINS.values())
    assert len(gpios) == len(set(gpios)), "two functions on one GPIO"
    assert set(gpios) <= sim_machine.HEADER_GPIOS
    assert main.PINS["light"] in sim_machine.ADC_GPIOS


def test_an_idle_panel_with_pull_ups_reports_nothing_pressed(rig):
    rig.run(1500)  # every switch open: the pull-ups must hold the lines high
    assert rig.unit.events(codec.PRESS, codec.KNOB) == []


@pytest.mark.parametrize("control", range(6))
def test_each_button_pin_reaches_the_unit_as_its_control(rig, control):
    rig.run(50)
    rig.hold(main.CONTROLS[control], 100)
    rig.run(100)
    assert rig.unit.events(codec.PRESS) == [(codec.PRESS, (control, codec.SHORT))]


def test_the_knob_pins_turn_it_clockwise(rig):
    rig.run(50)
    a, b = main.PINS["knob_a"], main.PINS["knob_b"]
    for _ in range(3):  # A leads: 11 → 01 → 00 → 10 → 11
        for gpio, level in ((a, 0), (b, 0), (a, 1), (b, 1)):
            if level:
                rig.board.release(gpio)
            else:
                rig.board.drive(gpio, 0)
            rig.run(3)
    rig.run(50)
    assert rig.unit.knob_steps() == 3


def test_ignition_is_on_while_the_opto_isolator_pulls_its_line_low(rig):
    rig.board.drive(main.PINS["ignition"], 0)
    rig.run(800)
    rig.board.release(main.PINS["ignition"])
    rig.run(800)
    assert rig.unit.events(codec.IGNITION) == [(codec.IGNITION, (1,)), (codec.IGNITION, (0,))]


def test_the_light_sensor_is_read_from_its_adc(rig):
    rig.board.set_analog(main.PINS["light"], 49151)  # three quarters of full scale
    rig.run(1000)
    assert rig.unit.events(codec.LIGHT) == [(codec.LIGHT, (750,))]


def test_the_units_leds_and_backlight_appear_on_the_output_pins(rig):
    assert rig.board.duty(main.PINS["backlight"]) == 65535  # lit from boot
    rig.line.feed(codec.encode(codec.LEDS, 0, 0b10010) + codec.encode(codec.BACKLIGHT, 0, 64))
    rig.run(2)
    lit = [name for name in main.LEDS if rig.board.output(main.PINS[name]) == 1]
    assert lit == ["led2", "led_back"]
    assert rig.board.duty(main.PINS["backlight"]) == 64 * 257


def test_run_is_the_loop_and_stops_when_told(rig):
    line, stop = sim_machine.StdioStandIn(), threading.Event()
    board = rig.board

    def firmware() -> None:
        sim_machine.use(board)
        main.run(serial=line, should_stop=stop.is_set)

    thread = threading.Thread(target=firmware, daemon=True)
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(2)
    assert not thread.is_alive()
    kinds = [kind for kind, _, _ in codec.FrameReader().feed(line.take())]
    assert kinds[:1] == [codec.HEARTBEAT]  # the boot announcement, resent while not acked
    assert board.reads(main.PINS["knob_a"]) > 50  # about one loop a ms


def test_back_held_at_boot_leaves_the_repl_free(rig):
    rig.board.drive(main.PINS["back"], 0)
    started = time.monotonic()
    main.run()  # on the board: returns at once instead of taking over the USB port
    assert time.monotonic() - started < 0.5
