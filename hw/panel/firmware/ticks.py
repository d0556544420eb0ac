"""Milliseconds as MicroPython counts them, on both Pythons.

On the board ``time.ticks_ms()`` wraps (every 2**30 ms, about 12.4 days, on the RP2040), so
an interval is taken with ``ticks_diff``, never by subtraction. CPython has neither; the
fallback wraps at the same period so the firmware's logic meets the wrap in tests too.
"""

try:
    from time import sleep_ms, ticks_add, ticks_diff, ticks_ms
except ImportError:  # CPython: the tests and the panel simulator
    import time

    PERIOD = 1 << 30
    _HALF = PERIOD // 2

    def ticks_ms():
        return int(time.monotonic() * 1000) & (PERIOD - 1)

    def ticks_add(ticks, delta):
        return (ticks + delta) & (PERIOD - 1)

    def ticks_diff(end, start):
        """``end - start`` in ms, right across the wrap (for intervals under PERIOD / 2)."""
        return ((end - start + _HALF) & (PERIOD - 1)) - _HALF

    def sleep_ms(ms):
        time.sleep(ms / 1000)
