"""The car's hardware as the remotes see it: the panel's knob handed to the screen, the
panel's input passed on to it, the ambient light, and the ignition-off countdown.

``knob`` (from the screen): ``focus`` true hands the knob to the screen for ``KNOB_LEASE_S``
(renewed while the screen wants it); turns, pushes and back presses then arrive as ``panel``
events instead of changing the volume. A screen that dies lets the lease run out, so the
knob is never stuck away from the volume. ``panel`` events go to the screen only.

``power``: ``on``; ``off`` with the seconds left before the unit powers itself off (audio
faded, state saved; the ignition coming back cancels it); ``powering_off`` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from device.protocol.messages import Command, Event, _check_bool, _check_choice, _check_int

KNOB_LEASE_S = 3.0
PANEL_CONTROLS = ("knob", "back")
PANEL_ACTIONS = ("turn", "press")
POWER_STATES = ("on", "off", "powering_off")


@dataclass(frozen=True)
class Knob(Command):
    name: ClassVar[str] = "knob"
    focus: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_bool("focus", self.focus)


@dataclass(frozen=True)
class PanelInput(Event):
    """The knob turned (``steps``, clockwise positive) or pushed, or back pressed."""

    name: ClassVar[str] = "panel"
    control: str = "knob"
    action: str = "turn"
    steps: int = 0

    def __post_init__(self) -> None:
        _check_choice("control", self.control, PANEL_CONTROLS)
        _check_choice("action", self.action, PANEL_ACTIONS)
        _check_int("steps", self.steps, -128, 127)


@dataclass(frozen=True)
class Power(Event):
    name: ClassVar[str] = "power"
    state: str = "on"
    seconds: int = 0  # left before powering off, while "off"

    def __post_init__(self) -> None:
        _check_choice("state", self.state, POWER_STATES)
        _check_int("seconds", self.seconds, 0, 3600)


@dataclass(frozen=True)
class Light(Event):
    """Ambient light from the panel's sensor, permille of full scale (day/night theme)."""

    name: ClassVar[str] = "light"
    permille: int = 0

    def __post_init__(self) -> None:
        _check_int("permille", self.permille, 0, 1000)


PANEL_COMMANDS: tuple[type[Command], ...] = (Knob,)
PANEL_EVENTS: tuple[type[Event], ...] = (PanelInput, Power, Light)
