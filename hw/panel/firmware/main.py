"""The panel's board glue on a Raspberry Pi Pico: the pins, the USB serial line, the loop.

MicroPython runs this file at boot. It reads every input about once a millisecond (polling,
no interrupts: the knob's 4 states per detent last several ms even on a fast spin), feeds
``panel.Panel`` and writes its frames to the USB CDC serial port — the Pico's own USB, seen by
the unit as /dev/ttyACM0 (udev: /dev/drivetime-panel) — through ``sys.stdout.buffer`` and
``sys.stdin.buffer``. The frame bytes may hold 0x03, which MicroPython would take for Ctrl-C,
so the loop turns that off; hold BACK while plugging the panel in to skip the loop and keep the
REPL for ``mpremote`` (docs/panel.md).

On CPython the tests and the panel simulator install ``hw.panel.sim_machine`` as ``machine``
and call ``run(serial=…)`` with a stand-in for the port, so this very file runs there too.
"""

import sys

import machine

try:
    from hw.panel.firmware import ticks
    from hw.panel.firmware.panel import CONTROLS, Panel
except ImportError:  # on the board the firmware's files lie flat in its root folder
    import ticks
    from panel import CONTROLS, Panel

# GPIO numbers (physical pin of the Pico in the comment). Switches and the opto-isolator pull
# their line to ground, against the Pico's internal pull-ups: they read 0 when active.
PINS = {
    "knob_a": 2,  # pin 4: encoder A
    "knob_b": 3,  # pin 5: encoder B (encoder common to ground, pin 3)
    "knob": 4,  # pin 6: the knob's push switch
    "preset1": 6,  # pin 9
    "preset2": 7,  # pin 10
    "preset3": 8,  # pin 11
    "preset4": 9,  # pin 12
    "back": 10,  # pin 14
    "ignition": 15,  # pin 20: opto-isolator's transistor, low while the ignition is on
    "light": 26,  # pin 31, ADC0: photoresistor from 3V3, 10 kΩ to AGND (brighter reads higher)
    "led1": 16,  # pin 21: preset 1's LED, through its resistor to ground (1 = lit)
    "led2": 17,  # pin 22
    "led3": 18,  # pin 24
    "led4": 19,  # pin 25
    "led_back": 20,  # pin 26
    "backlight": 21,  # pin 27: PWM to the backlight's MOSFET
}
ACTIVE_LOW = CONTROLS + ("ignition",)  # noqa: RUF005 - MicroPython has no (*a, b)
LEDS = ("led1", "led2", "led3", "led4", "led_back")  # bit i of the LEDS message
BACKLIGHT_PWM_HZ = 1000
LOOP_MS = 1


class UsbSerial:
    """The Pico's USB CDC port as MicroPython gives it: stdin and stdout, unbuffered bytes."""

    def __init__(self):
        import select

        import micropython

        micropython.kbd_intr(-1)  # 0x03 in a frame is data, not Ctrl-C
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)
        self._input = sys.stdin.buffer
        self._output = sys.stdout.buffer

    def read(self):
        """What has arrived, without waiting (b"" when nothing)."""
        data = b""
        while len(data) < 64 and self._poll.poll(0):
            data += self._input.read(1)
        return data

    def write(self, data):
        self._output.write(data)  # dropped by MicroPython while no host has the port open


class Firmware:
    """The pins set up for the panel, and one loop's work in ``step``."""

    def __init__(self, serial):
        Pin = machine.Pin
        self._serial = serial
        self._inputs = []  # (name, pin, active low)
        for name in ("knob_a", "knob_b") + ACTIVE_LOW:  # noqa: RUF005 - as above
            pin = Pin(PINS[name], Pin.IN, Pin.PULL_UP)
            self._inputs.append((name, pin, name in ACTIVE_LOW))
        self._light = machine.ADC(Pin(PINS["light"]))
        self._leds = [Pin(PINS[name], Pin.OUT, value=0) for name in LEDS]
        self._backlight = machine.PWM(Pin(PINS["backlight"]))
        self._backlight.freq(BACKLIGHT_PWM_HZ)
        self._levels = {}  # reused every loop: no garbage 1000 times a second
        self.panel = Panel(serial.write, self.show)
        self.show(self.panel.leds, self.panel.backlight)

    def step(self, now_ms):
        data = self._serial.read()
        if data:
            self.panel.receive(data)
        levels = self._levels
        for name, pin, active_low in self._inputs:
            level = pin.value()
            levels[name] = 1 - level if active_low else level
        levels["light"] = self._light.read_u16()
        self.panel.tick(now_ms, levels)

    def show(self, leds, backlight):
        for bit in range(len(self._leds)):
            self._leds[bit].value((leds >> bit) & 1)
        self._backlight.duty_u16(backlight * 257)  # 0-255 onto 0-65535


def back_held():
    return machine.Pin(PINS["back"], machine.Pin.IN, machine.Pin.PULL_UP).value() == 0


def run(serial=None, should_stop=None):
    """The firmware's loop. On the board: ``run()``, on the USB port, for ever. The simulator
    passes its own ``serial`` (read() -> bytes, write(bytes)) and a ``should_stop()``."""
    if serial is None:
        if back_held():
            print("drivetime panel: BACK held at boot, the REPL is left free")
            return
        serial = UsbSerial()
    firmware = Firmware(serial)
    while should_stop is None or not should_stop():
        firmware.step(ticks.ticks_ms())
        ticks.sleep_ms(LOOP_MS)


if __name__ == "__main__":
    run()
