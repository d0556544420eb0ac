"""The panel's logic: pin levels in, numbered events out on the serial line, until acknowledged.

``Panel`` knows nothing of pins or ports: the board glue (main.py) feeds it the time and the
inputs' logical levels every loop and gives it a ``send(bytes)`` for the line, so the same
code runs on the Pico, in the tests and in the panel simulator.

Events are sent one at a time (stop-and-wait): the next leaves only when the one in flight is
acknowledged, or has been sent RESENDS more times, RESEND_MS apart, without an ACK. One at a
time is what makes the unit's duplicate filter sound: it drops an event whose seq repeats the
last one it saw, which catches every resend only if nothing else was sent in between. Knob
steps waiting behind the event in flight are added into one KNOB event, so a fast spin while
the unit is slow costs one event, not hundreds; likewise a light reading or heartbeat still
waiting takes the newer value instead of queueing another.
"""

try:
    from hw.panel.firmware import panel_codec as codec
    from hw.panel.firmware import ticks
    from hw.panel.firmware.buttons import Button
    from hw.panel.firmware.encoder import Encoder
    from hw.panel.firmware.sensing import IGNITION_REPORT_MS, Ignition, Light
except ImportError:  # on the board the firmware's files lie flat in its root folder
    import panel_codec as codec
    import ticks
    from buttons import Button
    from encoder import Encoder
    from sensing import IGNITION_REPORT_MS, Ignition, Light

FIRMWARE_VERSION = 1
# The controls in their wire numbers (codec.CONTROL_KNOB = 0 … codec.CONTROL_BACK = 5); the
# names are the keys of the levels that tick() is fed.
CONTROLS = ("knob", "preset1", "preset2", "preset3", "preset4", "back")
LEVELS = ("knob_a", "knob_b", "ignition", "light") + CONTROLS  # noqa: RUF005 - MicroPython
MAX_QUEUED = 16  # events waiting behind the one in flight; beyond that the oldest goes
BACKLIGHT_AT_BOOT = 255  # lit, so the buttons can be found before the unit has spoken


class Panel:
    """The whole panel. ``send(frame)`` writes bytes to the line; ``show(leds, backlight)``,
    if given, drives the outputs whenever the unit changes them. Not thread-safe: tick() and
    receive() are called from the one loop."""

    def __init__(self, send, show=None):
        self._send = send
        self._show = show
        self._encoder = Encoder()
        self._buttons = [Button() for _ in CONTROLS]
        self._ignition = Ignition()
        self._light = Light()
        self._reader = codec.FrameReader()
        self._queue = []  # [kind, fields] waiting, oldest first
        self._in_flight = None  # [seq, frame, sent_at, resends]
        self._next_seq = 0
        self._last_tick = None
        self._heartbeat_at = None
        self._ignition_at = None  # when the ignition is next said again
        self.uptime_ms = 0
        self.leds = 0  # bit i: preset i + 1 lit, bit 4: back
        self.backlight = BACKLIGHT_AT_BOOT
        self.acknowledged = 0  # events the unit acknowledged
        self.gave_up = 0  # events sent 1 + RESENDS times and never acknowledged
        self.discarded = 0  # events dropped unsent from a full queue

    @property
    def dropped(self):
        """Frames from the unit thrown away as noise or damage."""
        return self._reader.dropped

    def tick(self, now_ms, levels):
        """One loop: ``levels`` maps each name in LEVELS to its logical level — knob_a/knob_b
        the encoder lines as read, the controls 1 when pressed, ignition 1 when on, light the
        raw ADC reading (0-65535, brighter higher)."""
        self._count_uptime(now_ms)
        self._encoder.update(levels["knob_a"], levels["knob_b"])
        steps = self._encoder.take()
        if steps:
            self._queue_knob(steps)
        for control in range(len(CONTROLS)):
            kind = self._buttons[control].update(levels[CONTROLS[control]], now_ms)
            if kind is not None:
                self._queue_event(codec.PRESS, (control, kind))
        on = self._ignition.update(levels["ignition"], now_ms)
        if on is not None:
            self._queue_event(codec.IGNITION, (on,))
            self._ignition_at = ticks.ticks_add(now_ms, IGNITION_REPORT_MS)
        elif self._ignition.level is not None and (
            self._ignition_at is None or ticks.ticks_diff(now_ms, self._ignition_at) >= 0
        ):
            self._ignition_at = ticks.ticks_add(now_ms, IGNITION_REPORT_MS)
            self._queue_latest(codec.IGNITION, (self._ignition.level,))
        permille = self._light.update(levels["light"], now_ms)
        if permille is not None:
            self._queue_latest(codec.LIGHT, (permille,))
        if self._heartbeat_at is None or ticks.ticks_diff(now_ms, self._heartbeat_at) >= 0:
            self._heartbeat_at = ticks.ticks_add(now_ms, codec.HEARTBEAT_MS)
            uptime = self.uptime_ms & 0xFFFFFFFF
            self._queue_latest(codec.HEARTBEAT, (uptime, FIRMWARE_VERSION))
        self._serve_line(now_ms)

    def receive(self, data):
        """Bytes read from the line: ACKs release the event in flight, LEDS and BACKLIGHT set
        the outputs. Noise and damaged frames are counted in ``dropped`` and ignored."""
        changed = False
        for kind, _seq, fields in self._reader.feed(data):
            if kind == codec.ACK:
                flight = self._in_flight
                if flight is not None and fields[0] == flight[0]:
                    self._in_flight = None
                    self.acknowledged += 1
            elif kind == codec.LEDS:
                changed = changed or (fields[0] & 0x1F) != self.leds
                self.leds = fields[0] & 0x1F
            elif kind == codec.BACKLIGHT:
                changed = changed or fields[0] != self.backlight
                self.backlight = fields[0]
        if changed and self._show is not None:
            self._show(self.leds, self.backlight)

    @property
    def idle(self):
        """True when every event has been acknowledged (or given up on)."""
        return self._in_flight is None and not self._queue

    def _count_uptime(self, now_ms):
        # ticks wrap every 2**30 ms on the Pico; summing the steps keeps uptime whole
        if self._last_tick is not None:
            self.uptime_ms += ticks.ticks_diff(now_ms, self._last_tick)
        self._last_tick = now_ms

    def _queue_knob(self, steps):
        last = self._queue[-1] if self._queue else None
        if last is not None and last[0] == codec.KNOB and -128 <= last[1][0] + steps <= 127:
            last[1] = (last[1][0] + steps,)
            return
        while steps:
            part = max(-128, min(127, steps))  # the body is an int8
            self._queue_event(codec.KNOB, (part,))
            steps -= part

    def _queue_latest(self, kind, fields):
        # a reading, not an action: one still waiting to be sent just takes the newer value
        for event in self._queue:
            if event[0] == kind:
                event[1] = fields
                return
        self._queue_event(kind, fields)

    def _queue_event(self, kind, fields):
        if len(self._queue) >= MAX_QUEUED:
            self._queue.pop(0)  # the unit is not listening; the newest matter most
            self.discarded += 1
        self._queue.append([kind, fields])

    def _serve_line(self, now_ms):
        flight = self._in_flight
        if flight is not None and ticks.ticks_diff(now_ms, flight[2]) >= codec.RESEND_MS:
            if flight[3] >= codec.RESENDS:
                self._in_flight = None
                self.gave_up += 1
            else:
                flight[2] = now_ms
                flight[3] += 1
                self._send(flight[1])
        if self._in_flight is None and self._queue:
            kind, fields = self._queue.pop(0)
            seq = self._next_seq
            self._next_seq = (seq + 1) & 0xFF
            frame = codec.encode(kind, seq, *fields)
            self._in_flight = [seq, frame, now_ms, 0]
            self._send(frame)
