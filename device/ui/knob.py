"""The rotary knob as a way round the screen: turning moves the focus, a push selects, back
goes back.

Every control on the top layer (the pairing dialog while it is open, else the screen with
its nav bar) takes the focus in reading order — rows from the top, left to right within a
row — so a turn moves the ring where the eye expects it. The list is worked out at each
turn from what is drawn, so controls that appear or hide need no registration. The same
verbs serve the panel's knob (through the engine) and a keyboard on a desk.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.uix.widget import Widget

from device.ui.widgets import ControlBehavior

ROW_TOLERANCE_PX = 8  # tops within this are one row (layouts round to whole pixels)


def reachable_controls(layer: Widget) -> list[ControlBehavior]:
    """The controls a driver could tap on ``layer``, in reading order."""
    found: list[ControlBehavior] = []
    stack = [layer]
    while stack:
        widget = stack.pop()
        if widget.opacity == 0 or widget.width <= 0 or widget.height <= 0 or widget.disabled:
            continue
        if isinstance(widget, ControlBehavior):
            found.append(widget)
            continue  # a tile's inner labels are part of it
        stack.extend(widget.children)

    def reading_order(control: ControlBehavior) -> tuple[float, float]:
        left, bottom = control.to_window(*control.pos)
        top = bottom + control.height
        return (-round(top / ROW_TOLERANCE_PX), left)

    return sorted(found, key=reading_order)


class KnobFocus:
    """Which control the knob points at, on the layer ``top_layer()`` returns."""

    def __init__(self, top_layer: Callable[[], Widget | None]) -> None:
        self._top_layer = top_layer
        self.focused: ControlBehavior | None = None

    def controls(self) -> list[ControlBehavior]:
        layer = self._top_layer()
        return reachable_controls(layer) if layer is not None else []

    def turn(self, steps: int) -> ControlBehavior | None:
        """Move the focus ``steps`` controls on (negative: back), wrapping round."""
        controls = self.controls()
        if not controls or steps == 0:
            return self.focused
        if self.focused in controls:
            index = (controls.index(self.focused) + steps) % len(controls)
        else:  # first turn, or what had the focus went away: start at an end
            index = 0 if steps > 0 else len(controls) - 1
        self._focus(controls[index])
        return self.focused

    def press(self) -> bool:
        """Select the focused control; False when nothing (still) has the focus."""
        control = self.focused
        if control is None or control not in self.controls():
            self._focus(None)
            return False
        control.select()
        return True

    def clear(self) -> None:
        self._focus(None)

    def _focus(self, control: ControlBehavior | None) -> None:
        if self.focused is not None:
            self.focused.focused = False
        self.focused = control
        if control is not None:
            control.focused = True
