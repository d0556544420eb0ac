"""What the panel says, as values: the unit's side of the wire protocol's events."""

from __future__ import annotations

from dataclasses import dataclass

from hw.panel.firmware import panel_codec as codec

PRESETS = (1, 2, 3, 4)
KNOB_CONTROL, BACK_CONTROL = codec.CONTROL_KNOB, codec.CONTROL_BACK


@dataclass(frozen=True)
class KnobTurned:
    steps: int  # detents, clockwise positive


@dataclass(frozen=True)
class ControlPressed:
    control: int  # 0 the knob's push, 1-4 the presets, 5 back
    long: bool


@dataclass(frozen=True)
class IgnitionChanged:
    on: bool


@dataclass(frozen=True)
class LightChanged:
    permille: int  # of the sensor's full scale


@dataclass(frozen=True)
class Heartbeat:
    uptime_ms: int
    firmware: int


PanelEvent = KnobTurned | ControlPressed | IgnitionChanged | LightChanged | Heartbeat


def event_from_message(kind: int, fields: tuple[int, ...]) -> PanelEvent | None:
    """The event a decoded panel message carries; None for a message that is not an event
    or whose values are out of range (dropped, like a bad CRC)."""
    if kind == codec.KNOB and fields[0] != 0:
        return KnobTurned(fields[0])
    if kind == codec.PRESS and fields[0] <= BACK_CONTROL and fields[1] in (codec.SHORT, codec.LONG):
        return ControlPressed(fields[0], fields[1] == codec.LONG)
    if kind == codec.IGNITION and fields[0] in (0, 1):
        return IgnitionChanged(fields[0] == 1)
    if kind == codec.LIGHT and fields[0] <= 1000:
        return LightChanged(fields[0])
    if kind == codec.HEARTBEAT:
        return Heartbeat(fields[0], fields[1])
    return None
