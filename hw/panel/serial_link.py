"""The panel on a serial port (pyserial): kept open across unplugs, frames in, events out.

A thread owns the port. It opens the configured path — ``/dev/drivetime-panel``, the name
the udev rule gives the panel whatever USB port it is in — and when the panel goes away
(unplugged, re-enumerated, the port errors) it closes, waits ``reopen_s`` and tries again,
for ever. Bytes go through ``FrameReader``, which drops noise and bad frames; every event is
acknowledged, and a repeat of the last event (the panel resending because an ACK was lost)
is acknowledged again but not delivered twice. The unit's side (LEDs, backlight) is state:
sent on every change, on every reconnect and every ``STATE_REFRESH_MS``.

Callbacks run on the port's thread and must not block it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import serial

from hw.panel.events import PanelEvent, event_from_message
from hw.panel.firmware import panel_codec as codec

log = logging.getLogger(__name__)

REOPEN_S = 0.5
READ_TIMEOUT_S = 0.05  # how often the reader looks up when nothing arrives
WRITE_TIMEOUT_S = 0.1  # a panel that stops reading: give up the write, not the thread
REPEAT_WINDOW_S = 1.0  # a seq seen again within this is the panel resending, not a new event


class SerialPanel:
    def __init__(
        self,
        path: str,
        baud: int,
        on_event: Callable[[PanelEvent], None],
        on_connection: Callable[[bool], None] = lambda connected: None,
        reopen_s: float = REOPEN_S,
    ) -> None:
        self.path, self.baud = path, baud
        self._on_event, self._on_connection = on_event, on_connection
        self._reopen_s = reopen_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._write_lock = threading.Lock()
        self._port: serial.Serial | None = None
        self._leds, self._backlight = 0, 255
        self._state_sent_at = 0.0
        self._state_changed = False
        self._last_seen: tuple[int, float] | None = None  # (seq, when)
        self.connected = False
        self.frames = 0  # good frames read
        self.dropped = 0  # frames thrown away as noise
        self.connections = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="panel", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def set_leds(self, mask: int) -> None:
        """Light preset ``i`` with bit ``i - 1`` (bit 4: back). Any thread; never blocks:
        the port's thread sends it (a panel that stops reading must not stall the caller)."""
        self._leds = mask & 0x1F
        self._state_changed = True

    def set_backlight(self, level: int) -> None:
        self._backlight = max(0, min(255, level))
        self._state_changed = True

    # --- the port's thread ----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                port = serial.Serial(
                    self.path,
                    self.baud,
                    timeout=READ_TIMEOUT_S,
                    write_timeout=WRITE_TIMEOUT_S,
                    exclusive=True,
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                log.debug("panel %s not there: %s", self.path, exc)
                self._stopping.wait(self._reopen_s)
                continue
            self._serve(port)

    def _serve(self, port: serial.Serial) -> None:
        reader = codec.FrameReader()
        with self._write_lock:
            self._port = port
        self._set_connected(True)
        try:
            self._send_state()
            while not self._stopping.is_set():
                # One byte blocks until something arrives (or the timeout, to check for
                # stop and state refresh); the rest of what is there comes with it. read(256)
                # would wait out the timeout for a 10-byte frame.
                data = port.read(1)
                if data and port.in_waiting:
                    data += port.read(port.in_waiting)
                for kind, seq, fields in reader.feed(data):
                    self._receive(kind, seq, fields)
                self.dropped = reader.dropped
                stale = time.monotonic() - self._state_sent_at > codec.STATE_REFRESH_MS / 1000
                if self._state_changed or stale:
                    self._send_state()
        except (serial.SerialException, OSError) as exc:
            log.warning("panel %s lost: %s", self.path, exc)
        finally:
            with self._write_lock:
                self._port = None
            port.close()
            self._set_connected(False)

    def _receive(self, kind: int, seq: int, fields: tuple[int, ...]) -> None:
        if kind not in codec.EVENTS:
            return  # the unit's own kinds echoed back: not for us
        self.frames += 1
        self._write(codec.encode(codec.ACK, 0, seq))
        now = time.monotonic()
        repeat = self._last_seen is not None and self._last_seen[0] == seq
        if repeat and now - self._last_seen[1] < REPEAT_WINDOW_S:
            return
        self._last_seen = (seq, now)
        event = event_from_message(kind, fields)
        if event is not None:
            self._on_event(event)

    def _send_state(self) -> None:
        self._state_changed = False
        self._state_sent_at = time.monotonic()
        self._write(codec.encode(codec.LEDS, 0, self._leds))
        self._write(codec.encode(codec.BACKLIGHT, 0, self._backlight))

    def _write(self, frame: bytes) -> None:
        with self._write_lock:
            if self._port is None:
                return
            try:
                self._port.write(frame)
            except (serial.SerialException, OSError) as exc:
                log.debug("panel write failed: %s", exc)  # the reader sees the loss too

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        if connected:
            self.connections += 1
            log.info("panel connected on %s", self.path)
        self._on_connection(connected)
