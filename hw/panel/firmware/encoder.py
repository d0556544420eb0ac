"""The knob's rotary encoder: two switch lines, A and B, in quadrature.

A full-step encoder rests in a detent with both lines open (read 1 through the pull-ups) and
passes four states on the way to the next detent: clockwise 11 → 01 → 00 → 10 → 11 (A
changes first; swap the A and B wires if a knob counts backwards). Each sample is looked up
in a transition table: a move to a neighbouring state counts a quarter step either way, and a
jump across (both lines changed between two samples) counts nothing. A step is counted only
back at the rest state with four quarters in one direction, so contact bounce — a line
flickering back and forth — adds and takes away quarters that cancel out and never makes a
step, and neither does a half turn that falls back.
"""

REST = 0b11  # both lines open in a detent

# _QUARTERS[previous << 2 | current], states as A << 1 | B: +1 a quarter clockwise,
# -1 anticlockwise, 0 no change or an impossible jump across
_QUARTERS = (0, -1, 1, 0, 1, 0, 0, -1, -1, 0, 0, 1, 0, 1, -1, 0)


class Encoder:
    def __init__(self, a=1, b=1, rest=REST):
        self._state = (a << 1) | b
        self._rest = rest
        self._quarters = 0  # since the last time at rest
        self._steps = 0  # whole detents not yet taken, clockwise positive

    def update(self, a, b):
        """Feed one sample of the two lines (0 or 1 each)."""
        state = (a << 1) | b
        if state == self._state:
            return
        self._quarters += _QUARTERS[(self._state << 2) | state]
        self._state = state
        if state == self._rest:
            if self._quarters >= 4:
                self._steps += 1
            elif self._quarters <= -4:
                self._steps -= 1
            self._quarters = 0

    def take(self):
        """Detents turned since the last call, clockwise positive."""
        steps = self._steps
        self._steps = 0
        return steps
