"""Debounced buttons and their presses: SHORT, or LONG once held LONG_PRESS_MS.

A switch's contacts bounce for a few ms when pressed and released; a level counts only when
it has held still for DEBOUNCE_MS. Times are taken from the edge that began the stable level
(not from when it was confirmed), so a press held exactly LONG_PRESS_MS is LONG whatever the
debounce adds. LONG is reported the moment the hold reaches LONG_PRESS_MS — the driver feels
it happen, as on the touchscreen's 0.8 s long press — and its release then reports nothing.
"""

try:
    from hw.panel.firmware import panel_codec, ticks
except ImportError:  # on the board the firmware's files lie flat in its root folder
    import panel_codec
    import ticks

DEBOUNCE_MS = 20
LONG_PRESS_MS = 800  # the touchscreen's long press too


class Debouncer:
    """A level that changes only once the input has held the new level for ``stable_ms``."""

    def __init__(self, level, stable_ms=DEBOUNCE_MS):
        self.level = level  # the stable level (None: not known yet)
        self.since = None  # when the stable level began: its last edge, in ticks ms
        self._stable_ms = stable_ms
        self._raw = level
        self._raw_since = None

    def update(self, level, now_ms):
        """Feed one sample; True when the stable level changed with it."""
        if level != self._raw:
            self._raw = level
            self._raw_since = now_ms
        if self._raw == self.level:
            return False
        if ticks.ticks_diff(now_ms, self._raw_since) < self._stable_ms:
            return False
        self.level = self._raw
        self.since = self._raw_since
        return True

    def raw_is(self, level):
        return self._raw == level


class Button:
    """One push switch, fed ``pressed`` (1 or 0) samples; reports SHORT and LONG presses."""

    def __init__(self):
        self._debouncer = Debouncer(0)
        self._pressed_at = 0
        self._long_sent = False

    def update(self, pressed, now_ms):
        """panel_codec.SHORT or LONG when a press is recognised with this sample, else None."""
        debounced = self._debouncer
        if debounced.update(pressed, now_ms):
            if not debounced.level:
                return self._released(debounced.since)
            self._pressed_at = debounced.since
            self._long_sent = False
        # held long enough, and not in the middle of letting go (a release not yet confirmed)
        if (
            debounced.level
            and not self._long_sent
            and debounced.raw_is(1)
            and ticks.ticks_diff(now_ms, self._pressed_at) >= LONG_PRESS_MS
        ):
            self._long_sent = True
            return panel_codec.LONG
        return None

    def _released(self, released_at):
        if self._long_sent:
            return None
        if ticks.ticks_diff(released_at, self._pressed_at) < LONG_PRESS_MS:
            return panel_codec.SHORT
        return panel_codec.LONG  # let go just as it became long, before a sample saw it held
