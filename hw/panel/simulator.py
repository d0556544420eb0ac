"""A panel with no hardware: the real firmware on CPython, behind a pty that looks like its port.

``PanelSimulator`` opens a pty pair, runs the firmware's own main.py in a thread against a
simulated ``machine`` (hw/panel/sim_machine.py), and keeps a symlink, ``link_path``, pointing
at the pty's device — what the udev rule's /dev/drivetime-panel is on the unit. The engine
opens that path as its panel; the test rig and the demo act as the driver's hands:
``turn``, ``press``, ``ignition``, ``light``; ``unplug``/``replug`` take the port away and
bring a new one (the firmware reboots, as a bus-powered Pico does), and the symlink follows.

While no program has the port open, what the firmware writes is dropped, as the Pico's USB
CDC drops output with no host on the line: a unit that opens the port late finds no stale
presses waiting.

    python -m hw.panel.simulator [--link PATH]   # then type: turn 3, press 2 long, ignition off
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import tempfile
import threading
import time
import tty

from hw.panel import sim_machine

sim_machine.install()  # before main.py imports machine

from hw.panel.firmware import buttons, main  # noqa: E402

QUARTERS_CLOCKWISE = ((0, 1), (0, 0), (1, 0), (1, 1))  # (A, B) after each quarter, from rest
SHORT_HOLD_S = 0.1
LONG_HOLD_S = buttons.LONG_PRESS_MS / 1000 + 0.2
ADC_FULL_SCALE = 65535


class PtyPort:
    """The panel's end of a pty pair, as the firmware's serial line (read() / write())."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no newline translation, no Ctrl-C: bytes pass as they are
        self.device_path = os.ttyname(slave)
        os.close(slave)  # the unit opens it; until then the master sees a hang-up
        os.set_blocking(self.master, False)
        self._poll = select.poll()
        self._poll.register(self.master, select.POLLIN)
        self._write_lock = threading.Lock()
        self.closed = False
        self.polled = threading.Event()  # the firmware's loop has begun reading

    def read(self) -> bytes:
        self.polled.set()
        try:
            return os.read(self.master, 256)
        except (BlockingIOError, OSError):
            return b""  # EIO: nobody has the port open

    def write(self, data: bytes) -> None:
        with self._write_lock:
            if self.closed or not self.host_attached():
                return
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(self.master, view) :]
                except BlockingIOError:
                    return  # the unit is not reading: the line drops it, like a full USB FIFO
                except OSError:
                    return

    def host_attached(self) -> bool:
        """True while a program has the pty's device open (the master sees no hang-up)."""
        return not any(events & select.POLLHUP for _, events in self._poll.poll(0))

    def close(self) -> None:
        with self._write_lock:
            self.closed = True
            os.close(self.master)


class PanelSimulator:
    """The firmware running on a simulated Pico, reachable at ``link_path`` (a symlink to
    the pty device). Start with ``start()`` or ``with PanelSimulator() as panel:``. The car
    starts with the ignition on and daylight at ``light_permille``."""

    def __init__(self, link_path: str | None = None, light_permille: int = 500) -> None:
        if link_path is None:
            self._link_dir = tempfile.mkdtemp(prefix="drivetime-panel-")
            link_path = os.path.join(self._link_dir, "drivetime-panel")
        else:
            self._link_dir = None
        self.link_path = link_path
        self.board = sim_machine.Board()
        self.ignition(True)
        self.light(light_permille)
        self.port: PtyPort | None = None
        self._thread: threading.Thread | None = None
        self._power = threading.Event()
        self._actions = threading.Lock()  # one pair of hands
        self.boots = 0

    # --- power and the port -----------------------------------------------------------------

    def start(self) -> PanelSimulator:
        self.replug()
        return self

    def stop(self) -> None:
        self.unplug()
        if self._link_dir is not None:
            os.rmdir(self._link_dir)
            self._link_dir = None

    def __enter__(self) -> PanelSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def device_path(self) -> str | None:
        """The pty's device now (it changes on each replug; ``link_path`` follows it)."""
        return self.port.device_path if self.port else None

    def unplug(self) -> None:
        """Pull the USB cable: the firmware stops, the port and the symlink disappear."""
        if self.port is None:
            return
        self._power.clear()
        if self._thread is not None:
            self._thread.join(2)
        self.port.close()
        self.port = None
        if os.path.islink(self.link_path):
            os.unlink(self.link_path)

    def replug(self) -> None:
        """Plug in again: a new pty (a new device, as USB re-enumeration gives), the symlink
        moved to it, the firmware booting afresh."""
        self.unplug()
        self.port = PtyPort()
        temporary = self.link_path + ".new"
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(self.port.device_path, temporary)
        os.replace(temporary, self.link_path)  # atomic: nobody opens a half-made link
        self._power.set()
        self._thread = threading.Thread(
            target=self._firmware, args=(self.port,), name="panel-firmware", daemon=True
        )
        self._thread.start()
        if not self.port.polled.wait(5):
            raise RuntimeError("the simulated panel's firmware did not boot")
        self.boots += 1

    def _firmware(self, port: PtyPort) -> None:
        sim_machine.use(self.board)
        main.run(serial=port, should_stop=lambda: not self._power.is_set())

    # --- the driver's hands -----------------------------------------------------------------

    def turn(self, steps: int) -> None:
        """Turn the knob ``steps`` detents (clockwise positive), one quarter at a time, each
        held until the firmware has sampled it."""
        sequence = QUARTERS_CLOCKWISE if steps > 0 else _anticlockwise()
        with self._actions:
            previous = (1, 1)  # at rest in a detent
            for _ in range(abs(steps)):
                for a, b in sequence:
                    if a != previous[0]:
                        self._set_line(main.PINS["knob_a"], a)
                    if b != previous[1]:
                        self._set_line(main.PINS["knob_b"], b)
                    previous = (a, b)

    def press(self, control: int, long: bool = False, hold_s: float | None = None) -> None:
        """Press and release ``control`` (0 the knob, 1-4 the presets, 5 back); returns once
        the firmware has seen the release."""
        if not 0 <= control < len(main.CONTROLS):
            raise ValueError(f"control {control}: 0 is the knob, 1-4 the presets, 5 back")
        if hold_s is None:
            hold_s = LONG_HOLD_S if long else SHORT_HOLD_S
        gpio = main.PINS[main.CONTROLS[control]]
        with self._actions:
            self._set_line(gpio, 0)
            time.sleep(hold_s)
            self._set_line(gpio, 1)
            time.sleep(buttons.DEBOUNCE_MS / 1000)
            self._settle(gpio)

    def ignition(self, on: bool) -> None:
        """Switch the ignition; the panel reports it once it has held IGNITION_STABLE_MS."""
        self._set_line(main.PINS["ignition"], 0 if on else 1, wait=False)

    def light(self, permille: int) -> None:
        """Set the ambient light, in permille of the sensor's full scale."""
        if not 0 <= permille <= 1000:
            raise ValueError(f"light {permille}: permille is 0-1000")
        reading = (permille * ADC_FULL_SCALE + 500) // 1000
        self.board.set_analog(main.PINS["light"], reading)

    def inject_noise(self, data: bytes) -> None:
        """Put ``data`` on the line towards the unit, between the firmware's frames."""
        if self.port is not None:
            self.port.write(data)

    @property
    def leds(self) -> int:
        """The LEDs as the firmware drives them: bit i preset i + 1, bit 4 back."""
        bits = 0
        for bit, name in enumerate(main.LEDS):
            bits |= (self.board.output(main.PINS[name]) or 0) << bit
        return bits

    @property
    def backlight(self) -> int:
        """The backlight's PWM level as the firmware drives it, 0-255."""
        return (self.board.duty(main.PINS["backlight"]) or 0) // 257

    def _set_line(self, gpio: int, level: int, wait: bool = True) -> None:
        # switches and the opto-isolator pull to ground; open, the pull-up holds the line high
        if level:
            self.board.release(gpio)
        else:
            self.board.drive(gpio, 0)
        if wait:
            self._settle(gpio)

    def _settle(self, gpio: int) -> None:
        # Two reads after the change: the first loop saw it with all its other inputs, and
        # the second began after that loop had finished.
        if not self._power.is_set():
            return
        seen = self.board.reads(gpio)
        if not self.board.wait_read(gpio, seen + 1):
            raise RuntimeError("the simulated panel's firmware stopped reading its pins")


def _anticlockwise() -> tuple[tuple[int, int], ...]:
    return (*QUARTERS_CLOCKWISE[-2::-1], (1, 1))


# --- the command line ---------------------------------------------------------------------

HELP = """commands:
  turn N             turn the knob N detents (negative: anticlockwise)
  press C [long]     press control C: 0 knob, 1-4 presets, 5 back
  ignition on|off    switch the ignition
  light P            ambient light, permille of full scale
  noise HEX          put bytes on the line towards the unit
  unplug | replug    pull the cable / plug it in again
  state              the LEDs and backlight the unit set
  quit"""


def run_command(panel: PanelSimulator, line: str) -> str:
    """Carry out one command line; returns what to print."""
    words = line.split()
    if not words:
        return ""
    command, arguments = words[0], words[1:]
    try:
        if command == "turn" and len(arguments) == 1:
            panel.turn(int(arguments[0]))
        elif command == "press" and len(arguments) in (1, 2):
            long = arguments[1:] == ["long"]
            if len(arguments) == 2 and not long:
                return "error: press C [long]"
            panel.press(int(arguments[0]), long)
        elif command == "ignition" and arguments in (["on"], ["off"]):
            panel.ignition(arguments[0] == "on")
        elif command == "light" and len(arguments) == 1:
            panel.light(int(arguments[0]))
        elif command == "noise" and len(arguments) == 1:
            panel.inject_noise(bytes.fromhex(arguments[0]))
        elif command == "unplug" and not arguments:
            panel.unplug()
        elif command == "replug" and not arguments:
            panel.replug()
            return f"ok: {panel.link_path} -> {panel.device_path}"
        elif command == "state" and not arguments:
            return f"leds {panel.leds:05b} backlight {panel.backlight}"
        else:
            return "error: unknown command\n" + HELP
    except ValueError as exc:
        return f"error: {exc}"
    return "ok"


def main_cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hw.panel.simulator",
        description="A simulated Drivetime panel on a pty; commands on standard input.",
    )
    parser.add_argument("--link", help="the stable path to keep pointing at the pty")
    options = parser.parse_args(argv)
    with PanelSimulator(options.link) as panel:
        print(f"panel on {panel.device_path} (link: {panel.link_path})", flush=True)
        print(f'unit config: panel = "serial:{panel.link_path},115200"', flush=True)
        for line in sys.stdin:
            if line.strip() in ("quit", "exit"):
                break
            reply = run_command(panel, line)
            if reply:
                print(reply, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main_cli())
