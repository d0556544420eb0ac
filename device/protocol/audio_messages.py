"""Where the unit's audio goes: the outputs a driver can choose from Settings, and the choice.

``outputs`` replies ``{"current": SPEC, "choices": [SPEC, ...]}`` (PortAudio devices as
``pyaudio:<name>``, then ``null``); ``output`` plays through ``spec`` from now on and keeps it
for the next start (unless the config file names an output of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from device.protocol.messages import Command, _bad, _check_text

MAX_SPEC_CHARS = 128


@dataclass(frozen=True)
class Outputs(Command):
    name: ClassVar[str] = "outputs"


@dataclass(frozen=True)
class Output(Command):
    name: ClassVar[str] = "output"
    spec: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text("spec", self.spec, MAX_SPEC_CHARS)
        if not (self.spec == "null" or self.spec.startswith("pyaudio")):
            raise _bad("spec must be 'null', 'pyaudio' or 'pyaudio:<device name>'")


AUDIO_COMMANDS: tuple[type[Command], ...] = (Outputs, Output)
