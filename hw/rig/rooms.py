"""The rig's room source: the studio's rooms on a private Icecast, each with its own tone.

The rig starts ``python -m studio serve --json`` (the studio's command line: the rig imports
nothing from it) and reads back where each room is and its signature frequency, the steady
tone the studio mixes into that room's programme so the rig can tell what the unit plays.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path


class RoomsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Room:
    name: str
    url: str
    signature_hz: float

    @property
    def label(self) -> str:
        return f"{self.signature_hz:g} Hz ({self.name})"


class Rooms:
    """The studio's rooms, served until :meth:`close`."""

    def __init__(self, rooms: list[Room], icecast_url: str, process: subprocess.Popen | None):
        self.rooms = rooms
        self.icecast_url = icecast_url
        self._process = process

    @classmethod
    def start(
        cls, count: int = 2, *, port: int = 0, log: Path | None = None, timeout_s: float = 30.0
    ) -> Rooms:
        """``count`` demo rooms on a private Icecast (``port`` 0: any free port); the studio's
        messages go to ``log``.

        Live edge for new listeners (burst size 0): what the unit plays is what the studio
        sends now, so a room switch is heard within the unit's own buffer time.
        """
        command = [sys.executable, "-m", "studio", "serve", "--json", "--rooms", str(count)]
        command += ["--port", str(port), "--burst-size", "0"]
        with open(log or os.devnull, "ab") as errors:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
            )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))
        reader.start()
        reader.join(timeout_s)
        if not line or not line[0].strip():
            process.kill()
            process.wait()
            where = f"; see {log}" if log else ""
            raise RoomsError(f"the studio did not list its rooms within {timeout_s:g} s{where}")
        listing = json.loads(line[0])
        rooms = [Room(r["name"], r["url"], float(r["signature_hz"])) for r in listing["rooms"]]
        return cls(rooms, listing["icecast"], process)

    def __getitem__(self, index: int) -> Room:
        return self.rooms[index]

    @property
    def signatures_hz(self) -> list[float]:
        return [room.signature_hz for room in self.rooms]

    def by_hz(self, hz: float, tolerance_hz: float = 10.0) -> Room | None:
        return next((r for r in self.rooms if abs(r.signature_hz - hz) <= tolerance_hz), None)

    def close(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)  # the studio stops Icecast on SIGTERM
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
