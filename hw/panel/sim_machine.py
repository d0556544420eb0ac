"""A simulated ``machine`` module: the Pico's pins, ADC and PWM as values in memory.

Tests and the panel simulator put this module in ``sys.modules["machine"]`` before importing
the firmware's main.py, so the board glue itself runs on CPython. The hardware world lives in
a ``Board``: what the outside drives onto each GPIO (a switch to ground, the opto-isolator),
the voltage on each ADC input, and what the firmware drives on its outputs. An input nobody
drives reads its pull resistor, so a firmware that forgot a pull-up reads a pressed button, as
on the real board. Each thread uses its own board (``use``), so several simulated panels can
run in one process.

Only what the firmware uses is here: Pin (IN/OUT, PULL_UP/PULL_DOWN, value()), ADC.read_u16,
PWM.freq/duty_u16. The serial line is not: main.run() takes it as an argument (on the board
it is USB CDC on stdin/stdout); ``StdioStandIn`` is an in-memory one.
"""

from __future__ import annotations

import threading

# The Pico's GPIOs on its header; 23-25 are wired inside the board, 26-28 are also ADC0-2.
HEADER_GPIOS = frozenset([*range(23), 26, 27, 28])
ADC_GPIOS = (26, 27, 28)


class Board:
    """The simulated hardware around one Pico. Thread-safe: the firmware's loop and the
    simulator's hands use it from different threads."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._driven: dict[int, int] = {}  # gpio → level the outside world holds it at
        self._pulls: dict[int, int] = {}  # gpio → Pin.PULL_UP / PULL_DOWN
        self._outputs: dict[int, int] = {}  # gpio → level the firmware writes
        self._analog: dict[int, int] = {}  # gpio → ADC reading 0-65535
        self._pwm_duty: dict[int, int] = {}  # gpio → duty_u16
        self._reads: dict[int, int] = {}  # gpio → times the firmware read it

    # --- the outside world ------------------------------------------------------------------

    def drive(self, gpio: int, level: int) -> None:
        """Hold ``gpio`` at ``level`` from outside (a closed switch to ground: 0)."""
        with self._lock:
            self._driven[gpio] = 1 if level else 0

    def release(self, gpio: int) -> None:
        """Stop driving ``gpio`` (an open switch): it reads its pull resistor again."""
        with self._lock:
            self._driven.pop(gpio, None)

    def set_analog(self, gpio: int, reading: int) -> None:
        if not 0 <= reading <= 0xFFFF:
            raise ValueError(f"ADC reading {reading} outside 0-65535")
        with self._lock:
            self._analog[gpio] = reading

    def output(self, gpio: int) -> int | None:
        """The level the firmware drives on ``gpio`` (None: not an output)."""
        with self._lock:
            return self._outputs.get(gpio)

    def duty(self, gpio: int) -> int | None:
        """The PWM duty (0-65535) the firmware set on ``gpio`` (None: no PWM there)."""
        with self._lock:
            return self._pwm_duty.get(gpio)

    def reads(self, gpio: int) -> int:
        with self._lock:
            return self._reads.get(gpio, 0)

    def wait_read(self, gpio: int, after: int, timeout_s: float = 2.0) -> bool:
        """Wait until the firmware has read ``gpio`` more than ``after`` times: a level set
        before this has then been seen, whatever the machine's load."""
        with self._lock:
            return self._lock.wait_for(lambda: self._reads.get(gpio, 0) > after, timeout_s)

    # --- the firmware's side (through Pin, ADC, PWM) ------------------------------------------

    def _setup(self, gpio: int, mode: int, pull: int) -> None:
        with self._lock:
            if mode == Pin.OUT:
                self._outputs.setdefault(gpio, 0)
            else:
                self._outputs.pop(gpio, None)
            if pull in (Pin.PULL_UP, Pin.PULL_DOWN):
                self._pulls[gpio] = pull

    def _read(self, gpio: int) -> int:
        with self._lock:
            self._reads[gpio] = self._reads.get(gpio, 0) + 1
            self._lock.notify_all()
            if gpio in self._outputs:
                return self._outputs[gpio]
            if gpio in self._driven:
                return self._driven[gpio]
            return 1 if self._pulls.get(gpio) == Pin.PULL_UP else 0

    def _write(self, gpio: int, level: int) -> None:
        with self._lock:
            self._outputs[gpio] = 1 if level else 0

    def _read_analog(self, gpio: int) -> int:
        with self._lock:
            return self._analog.get(gpio, 0)

    def _set_duty(self, gpio: int, duty: int) -> None:
        with self._lock:
            self._pwm_duty[gpio] = duty


_local = threading.local()
_default_board = Board()


def use(board: Board) -> None:
    """Make ``board`` the hardware that pins created on this thread belong to."""
    _local.board = board


def current_board() -> Board:
    return getattr(_local, "board", _default_board)


class Pin:
    IN, OUT = 0, 1
    PULL_UP, PULL_DOWN = 1, 2

    def __init__(self, gpio: int, mode: int = -1, pull: int = -1, *, value: int | None = None):
        if gpio not in HEADER_GPIOS:
            raise ValueError(f"GPIO{gpio} is not on the Pico's header")
        self.gpio = gpio
        self._board = current_board()
        self._board._setup(gpio, mode, pull)
        if value is not None:
            self.value(value)

    def value(self, level: int | None = None) -> int | None:
        if level is None:
            return self._board._read(self.gpio)
        self._board._write(self.gpio, level)
        return None

    def on(self) -> None:
        self.value(1)

    def off(self) -> None:
        self.value(0)

    def __repr__(self) -> str:
        return f"Pin(GPIO{self.gpio})"


class ADC:
    def __init__(self, source: Pin | int) -> None:
        gpio = source.gpio if isinstance(source, Pin) else source
        if gpio in range(len(ADC_GPIOS)):
            gpio = ADC_GPIOS[gpio]  # a channel number, as MicroPython also accepts
        if gpio not in ADC_GPIOS:
            raise ValueError(f"GPIO{gpio} has no ADC")
        self.gpio = gpio
        self._board = current_board()

    def read_u16(self) -> int:
        return self._board._read_analog(self.gpio)


class PWM:
    def __init__(self, pin: Pin, freq: int | None = None, duty_u16: int | None = None) -> None:
        self.gpio = pin.gpio
        self._board = pin._board
        self._freq = 0
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)

    def freq(self, hz: int | None = None) -> int | None:
        if hz is None:
            return self._freq
        self._freq = hz
        return None

    def duty_u16(self, duty: int | None = None) -> int | None:
        if duty is None:
            return self._board.duty(self.gpio) or 0
        if not 0 <= duty <= 0xFFFF:
            raise ValueError(f"duty {duty} outside 0-65535")
        self._board._set_duty(self.gpio, duty)
        return None

    def deinit(self) -> None:
        self._board._set_duty(self.gpio, 0)


class StdioStandIn:
    """An in-memory serial line in place of the Pico's USB CDC: the unit's side calls
    ``feed`` (bytes to the panel) and ``take`` (bytes the panel wrote)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._to_panel = bytearray()
        self._from_panel = bytearray()

    def read(self) -> bytes:
        with self._lock:
            data = bytes(self._to_panel)
            self._to_panel.clear()
        return data

    def write(self, data: bytes) -> None:
        with self._lock:
            self._from_panel += data

    def feed(self, data: bytes) -> None:
        with self._lock:
            self._to_panel += data

    def take(self) -> bytes:
        with self._lock:
            data = bytes(self._from_panel)
            self._from_panel.clear()
        return data


def install() -> None:
    """Put this module in place of ``machine`` (call before importing the firmware's main)."""
    import sys

    sys.modules["machine"] = sys.modules[__name__]
