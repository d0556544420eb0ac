"""Bluetooth and car-state commands and events: pairing a phone, the bonded phones, driving.

The touchscreen opens the pairing window (``pair_open``) and shows the six digits of the
``pairing`` event; the driver's answer comes back as ``pair_confirm``. ``phones`` lists the
bonded phones; ``forget`` removes one — from the unit with its ``address``, or from a phone
itself with no address (the phone that sends it). ``driving`` is the car's moving state,
which the phone or the panel tells the unit (the touchscreen locks typing while it is on);
the ``car`` event tells every remote when it changes, and a new watcher right away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from device.protocol.messages import Command, Event, _bad, _check_bool, _check_choice, _check_text

PAIRING_STATES = ("open", "confirm", "paired", "rejected", "closed")
MAX_ADDRESS_CHARS = 32
MAX_LABEL_CHARS = 512


@dataclass(frozen=True)
class PairOpen(Command):
    name: ClassVar[str] = "pair_open"


@dataclass(frozen=True)
class PairConfirm(Command):
    name: ClassVar[str] = "pair_confirm"
    accept: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_bool("accept", self.accept)


@dataclass(frozen=True)
class Phones(Command):
    name: ClassVar[str] = "phones"


@dataclass(frozen=True)
class Forget(Command):
    name: ClassVar[str] = "forget"
    address: str = ""  # "" from a phone: forget this phone

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text("address", self.address, MAX_ADDRESS_CHARS)


@dataclass(frozen=True)
class Driving(Command):
    name: ClassVar[str] = "driving"
    on: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_bool("on", self.on)


@dataclass(frozen=True)
class Relay(Command):
    """The phone is about to relay a room (or a file) on AUDIO: play what comes there.

    AUDIO then carries the room's Ogg/Opus stream as the phone receives it, in fragments; the
    unit demuxes it exactly as it would the room's own HTTP body. ``label`` is what the
    screen shows (the room's URL or the file's name)."""

    name: ClassVar[str] = "relay"
    label: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text("label", self.label, MAX_LABEL_CHARS)


@dataclass(frozen=True)
class Pairing(Event):
    """The pairing window: ``digits`` (six, zero-padded) while the driver is asked to compare."""

    name: ClassVar[str] = "pairing"
    state: str = "open"
    digits: str = ""
    phone: str = ""  # the phone's name or address, when known

    def __post_init__(self) -> None:
        _check_choice("state", self.state, PAIRING_STATES)
        if self.digits and not (len(self.digits) == 6 and self.digits.isdigit()):
            raise _bad("digits must be six digits")
        _check_text("phone", self.phone, MAX_ADDRESS_CHARS * 2)


@dataclass(frozen=True)
class Car(Event):
    """The car's moving state, as the ``driving`` command last set it (parked at start)."""

    name: ClassVar[str] = "car"
    driving: bool = False

    def __post_init__(self) -> None:
        _check_bool("driving", self.driving)


LINK_COMMANDS: tuple[type[Command], ...] = (PairOpen, PairConfirm, Phones, Forget, Driving)
RELAY_COMMANDS: tuple[type[Command], ...] = (Relay,)
LINK_EVENTS: tuple[type[Event], ...] = (Pairing, Car)
