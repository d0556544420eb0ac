"""The rig's phone: ``drivetime-host`` (bleak) from the rig, over its own radio.

On one machine the phone's radio is the unit's virtual one, reached on a TCP port
(``DRIVETIME_BLE_TRANSPORT=tcp-client:127.0.0.1:<port>``); on a real rig it is the rig's own
Bluetooth adapter (no transport: bleak's BlueZ backend, or ``usb:0`` for a dongle driven by
bumble). The phone keeps its bond in its own state directory.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PhoneReply:
    status: int
    output: str  # stdout and stderr, in order

    @property
    def ok(self) -> bool:
        return self.status == 0


class Phone:
    def __init__(self, command: list[str], state_dir: Path, transport: str = "") -> None:
        self.command = command
        self.env = {**os.environ, "XDG_STATE_HOME": str(state_dir)}
        if transport:
            self.env["DRIVETIME_BLE_TRANSPORT"] = transport

    def __call__(self, *words: str, answer: str = "", timeout_s: float = 30.0) -> PhoneReply:
        """Run ``drivetime-host WORDS``; ``answer`` is typed at its prompt (``pair`` asks)."""
        try:
            done = subprocess.run(
                [*self.command, *words],
                env=self.env,
                input=answer,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.stdout if isinstance(exc.stdout, str) else ""
            return PhoneReply(-1, f"{output}\n(no answer within {timeout_s:g} s)")
        return PhoneReply(done.returncode, done.stdout)

    def pair_confirming(self, answer: str = "y\n") -> subprocess.Popen[str]:
        """``drivetime-host pair`` started, its answer to the digits already typed; the
        caller confirms on the unit meanwhile and then waits for it."""
        typed, keyboard = os.pipe()
        os.write(keyboard, answer.encode())
        os.close(keyboard)
        try:
            return subprocess.Popen(
                [*self.command, "pair"],
                env=self.env,
                text=True,
                stdin=typed,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        finally:
            os.close(typed)
