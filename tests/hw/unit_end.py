"""The unit's end of the panel's serial line, for tests: frames in, ACKs out, repeats dropped.

It decodes with the shared codec and drops a repeated seq the way the unit's driver does, so
a test can say what the engine would have received. ``UnitEnd`` works on a real pty device
(the simulator's port); ``MemoryUnit`` on bytes in memory (Panel, Firmware).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable

from hw.panel.firmware import panel_codec as codec


class Deliveries:
    """Decoded frames from the panel, and the events the unit would deliver from them."""

    def __init__(self) -> None:
        self.reader = codec.FrameReader()
        self.frames: list[tuple[int, int, tuple]] = []  # every good frame, repeats included
        self.delivered: list[tuple[int, tuple]] = []  # (kind, fields), each seq once
        self._last_seq: int | None = None

    def take(self, data: bytes) -> list[int]:
        """Feed line bytes; returns the seqs to acknowledge."""
        acks = []
        for kind, seq, fields in self.reader.feed(data):
            self.frames.append((kind, seq, fields))
            if kind not in codec.EVENTS:
                continue
            acks.append(seq)
            if seq != self._last_seq:
                self._last_seq = seq
                self.delivered.append((kind, fields))
        return acks

    def events(self, *kinds: int) -> list[tuple[int, tuple]]:
        """Delivered events of ``kinds`` (all but heartbeats when none named)."""
        wanted = kinds or tuple(kind for kind in codec.EVENTS if kind != codec.HEARTBEAT)
        return [event for event in self.delivered if event[0] in wanted]

    def knob_steps(self) -> int:
        return sum(fields[0] for kind, fields in self.events(codec.KNOB))


class MemoryUnit(Deliveries):
    """A unit on an in-memory line; ``lose_ack(seq, copy)`` decides which ACKs never arrive."""

    def __init__(self, lose_ack: Callable[[int, int], bool] = lambda seq, copy: False) -> None:
        super().__init__()
        self._lose_ack = lose_ack
        self._copies: dict[int, int] = {}

    def exchange(self, from_panel: bytes) -> bytes:
        """What the unit writes back for ``from_panel``."""
        reply = b""
        for seq in self.take(from_panel):
            copy = self._copies.get(seq, 0)
            self._copies[seq] = copy + 1
            if not self._lose_ack(seq, copy):
                reply += codec.encode(codec.ACK, 0, seq)
        return reply


class UnitEnd(Deliveries):
    """The unit with the pty device open, as the engine's driver would have it."""

    def __init__(self, path: str, ack: bool = True) -> None:
        super().__init__()
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.ack = ack
        self.hung_up = False
        self.arrivals: list[tuple[float, int, int]] = []  # (monotonic s, kind, seq)

    def pump(self) -> None:
        while not self.hung_up:
            try:
                data = os.read(self.fd, 1024)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                self.hung_up = True  # the panel's side is gone: unplugged
                return
            before = len(self.frames)
            acks = self.take(data)
            now = time.monotonic()
            self.arrivals += [(now, kind, seq) for kind, seq, _ in self.frames[before:]]
            if self.ack:
                for seq in acks:
                    self.send(codec.ACK, seq)

    def send(self, kind: int, *fields: int) -> None:
        os.write(self.fd, codec.encode(kind, 0, *fields))

    def wait(self, condition: Callable[[], bool], what: str, timeout_s: float = 3.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            self.pump()
            if condition():
                return
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.003)

    def run_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump()
            time.sleep(0.003)

    def close(self) -> None:
        os.close(self.fd)
