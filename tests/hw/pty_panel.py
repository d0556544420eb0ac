"""The panel's end of a pty pair, for tests: what the Pico's USB serial looks like to the
unit, with a stable symlink standing in for the udev rule's /dev/drivetime-panel."""

from __future__ import annotations

import os
import time
import tty

from hw.panel.firmware import panel_codec as codec


class PtyPanel:
    """The panel's end of a pty pair; ``path`` is a stable symlink to the unit's end."""

    def __init__(self, link_path: str) -> None:
        self.link_path = link_path
        self.reader = codec.FrameReader()
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        if os.path.lexists(self.link_path):
            os.unlink(self.link_path)
        os.symlink(os.ttyname(self.slave), self.link_path)

    def unplug(self) -> None:
        os.close(self.master)
        os.close(self.slave)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def received(self, timeout_s: float = 2.0, want: int = 1) -> list[tuple]:
        found: list[tuple] = []
        deadline = time.monotonic() + timeout_s
        while len(found) < want and time.monotonic() < deadline:
            try:
                found += self.reader.feed(os.read(self.master, 1024))
            except BlockingIOError:
                time.sleep(0.005)
        return found

    def send_event(self, kind: int, *fields: int) -> None:
        """One event frame, numbered like the panel numbers them."""
        self.seq = (getattr(self, "seq", 0) + 1) & 0xFF
        self.send(codec.encode(kind, self.seq, *fields))
