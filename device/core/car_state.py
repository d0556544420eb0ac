"""What the unit knows about the car itself: whether it is moving.

The phone (from a switch in its app, later its speed) or the panel says so; the touchscreen
locks typing and long lists while it is on. Kept in memory only: a car that starts is parked.
"""

from __future__ import annotations

from collections.abc import Callable


class CarState:
    def __init__(self) -> None:
        self.driving = False
        self._listeners: list[Callable[[bool], None]] = []

    def on_change(self, listener: Callable[[bool], None]) -> None:
        self._listeners.append(listener)

    def set_driving(self, on: bool) -> None:
        if on == self.driving:
            return
        self.driving = on
        for listener in list(self._listeners):
            listener(on)
