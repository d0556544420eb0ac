"""The rig's hand on the panel: event frames onto the unit's panel serial line.

The rig plays the panel's microcontroller: it writes the same frames the firmware writes
(:mod:`hw.panel.firmware.panel_codec`), numbers them, and sends each again until the unit
acknowledges it, as the firmware does. It reads the unit's ACK and LEDS frames back.

* :func:`open_pty_line` — on one machine: a pty pair. The unit opens the slave end through
  a stable symlink (``panel.device = "serial:<link>,115200"``), as it opens
  ``/dev/drivetime-panel`` in the car.
* :func:`open_serial_line` — on a real rig: the rig Pi's USB gadget serial port
  (``/dev/ttyGS0``), whose cable the unit sees as the panel's USB CDC port.
"""

from __future__ import annotations

import os
import termios
import time
import tty
from pathlib import Path

from hw.panel.firmware import panel_codec as codec


class PanelNotAcknowledged(RuntimeError):
    pass


class PanelLine:
    """Frames to and from the unit over an open, raw, non-blocking file descriptor."""

    def __init__(self, fd: int, *, keep_open: tuple[int, ...] = (), path: str = "") -> None:
        self.fd = fd
        self.path = path  # what the unit opens (for messages and the unit's config)
        self._keep_open = keep_open  # the pty's slave: holding it keeps the line up
        self._reader = codec.FrameReader()
        self._seq = 0
        self._acked: set[int] = set()
        self.leds = 0  # bit i: preset i+1 lit (bit 4: back), as the unit last sent it

    def close(self) -> None:
        for fd in (self.fd, *self._keep_open):
            os.close(fd)

    def send(self, kind: int, *fields: int) -> float:
        """One event (``codec.KNOB``, ``PRESS``, ``IGNITION``…); returns the seconds until the
        unit acknowledged it. Sent again every ``RESEND_MS`` like the firmware does."""
        self._seq = (self._seq + 1) & 0xFF
        self._acked.discard(self._seq)
        frame = codec.encode(kind, self._seq, *fields)
        started = time.monotonic()
        for _ in range(codec.RESENDS + 1):
            os.write(self.fd, frame)
            deadline = time.monotonic() + codec.RESEND_MS / 1000
            while time.monotonic() < deadline:
                self.poll()
                if self._seq in self._acked:
                    return time.monotonic() - started
                time.sleep(0.002)
        raise PanelNotAcknowledged(
            f"the unit did not acknowledge panel event type {kind:#04x} on {self.path or self.fd} "
            f"after {codec.RESENDS + 1} sends"
        )

    def poll(self) -> None:
        """Read what the unit sent: ACKs and the LED state."""
        while True:
            try:
                data = os.read(self.fd, 1024)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # EIO: the unit's end is closed (not started yet, or gone)
                return
            if not data:
                return
            for kind, _seq, fields in self._reader.feed(data):
                if kind == codec.ACK:
                    self._acked.add(fields[0])
                elif kind == codec.LEDS:
                    self.leds = fields[0]

    # The panel's controls, in the driver's words.
    def turn_knob(self, detents: int) -> float:
        """One frame per detent, as a slow hand turns it; returns the last ACK's delay."""
        step = 1 if detents > 0 else -1
        return max(self.send(codec.KNOB, step) for _ in range(abs(detents)))

    def press_preset(self, slot: int, *, long: bool = False) -> float:
        return self.send(codec.PRESS, slot, codec.LONG if long else codec.SHORT)

    def ignition(self, on: bool) -> float:
        return self.send(codec.IGNITION, 1 if on else 0)


def open_pty_line(link: Path) -> PanelLine:
    """A pty pair; ``link`` becomes a symlink to the end the unit opens."""
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.ttyname(slave))
    return PanelLine(master, keep_open=(slave,), path=str(link))


def open_serial_line(path: str, baud: int = 115_200) -> PanelLine:
    """A serial device (the rig's USB gadget port), raw at ``baud``."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    speed = getattr(termios, f"B{baud}")
    attributes = termios.tcgetattr(fd)
    attributes[4] = attributes[5] = speed  # ispeed, ospeed
    termios.tcsetattr(fd, termios.TCSANOW, attributes)
    return PanelLine(fd, path=path)
