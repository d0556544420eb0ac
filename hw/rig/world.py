"""The unit's world as the rig makes it: four hands and a power switch.

A :class:`World` is what the suite drives:

* ``panel`` — :class:`~hw.rig.panel_line.PanelLine`, the panel's serial line;
* ``audio`` — :class:`~hw.rig.capture.PcmRing`, the unit's audio output as recorded;
* ``phone`` — :class:`~hw.rig.phone.Phone`, ``drivetime-host`` on the rig's radio;
* ``rooms`` — :class:`~hw.rig.rooms.Rooms`, the studio's rooms with their signature tones;
* ``ctl`` and ``power`` — the unit's control command line and its power supply.

:func:`local_world` builds all of it on this machine around a unit started from a config it
writes; :func:`remote_world` is the real rig, where only device paths and commands differ.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hw.rig.capture import ArecordCapture, FifoCapture, PcmRing
from hw.rig.panel_line import PanelLine, open_pty_line, open_serial_line
from hw.rig.phone import Phone
from hw.rig.rooms import Rooms
from hw.rig.unit import HookPower, LocalPower, UnitCtl


class UnitPower(Protocol):
    def on(self) -> None: ...
    def off(self) -> None: ...
    def powered_off(self) -> bool:
        """True once the unit has run its power-off (the ignition-off shutdown)."""
        ...


@dataclass(frozen=True)
class UnitSettings:
    """The unit's config values the pass criteria depend on (they must match the unit's)."""

    volume_step: int = 2  # panel.volume_step, % per detent
    fade_s: float = 0.5  # power.fade_s
    shutdown_delay_s: float = 2.0  # power.shutdown_delay_s
    boot_timeout_s: float = 30.0  # power on → engine answering, at most


@dataclass
class World:
    panel: PanelLine
    audio: PcmRing
    phone: Phone
    rooms: Rooms
    ctl: UnitCtl
    power: UnitPower
    settings: UnitSettings


@dataclass(frozen=True)
class LocalOptions:
    rooms: int = 2
    settings: UnitSettings = UnitSettings()
    volume: int = 70  # audio.volume at the first start


@contextlib.contextmanager
def local_world(workdir: Path, options: LocalOptions = LocalOptions()) -> Iterator[World]:
    """Rooms, a pty panel line, a captured PortAudio output, the virtual radio and a unit
    config, all under ``workdir``; the unit itself is switched on by the suite."""
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        rooms = Rooms.start(options.rooms, log=workdir / "studio.log")
        stack.callback(rooms.close)
        capture = FifoCapture(workdir / "line-in.fifo")
        stack.callback(capture.close)
        panel = open_pty_line(workdir / "drivetime-panel")
        stack.callback(panel.close)
        phone_port = _free_port()
        config = workdir / "unit.toml"
        config.write_text(_unit_config(workdir, panel.path, phone_port, options))
        unit = [_script("drivetime-unit"), "--config", str(config)]
        env = {
            **capture.env,
            "XDG_STATE_HOME": str(workdir / "unit-state"),
            "XDG_RUNTIME_DIR": str(workdir / "run"),
        }
        power = LocalPower(
            [*unit, "run", "--no-ui"], env, log=workdir / "unit.log", marker=workdir / "powered-off"
        )
        stack.callback(power.off)  # first out: the unit's output closes before the capture
        phone = Phone(
            [_script("drivetime-host")],
            state_dir=workdir / "phone-state",
            transport=f"tcp-client:127.0.0.1:{phone_port}",
        )
        yield World(
            panel=panel,
            audio=capture.ring,
            phone=phone,
            rooms=rooms,
            ctl=UnitCtl([*unit, "ctl"], env),
            power=power,
            settings=options.settings,
        )


@dataclass(frozen=True)
class RemoteOptions:
    panel: str  # the rig's serial port wired to the unit's panel input: /dev/ttyGS0
    audio_in: str  # the rig's line-in (ALSA name): hw:1
    unit_ctl: str  # "ssh unit drivetime-unit ctl"
    power_on: str  # a GPIO relay command, or "ssh unit sudo systemctl start drivetime-engine"
    power_off: str
    powered_off: str  # exit 0 once the unit has powered itself off: "! ping -c1 -W1 unit"
    phone: str = "drivetime-host"
    phone_transport: str = ""  # "": the rig's adapter through BlueZ; "usb:0": a dongle
    rooms: int = 2
    rooms_port: int = 8000
    rooms_tunnel: str = ""  # "ssh -N -R {port}:127.0.0.1:{port} unit": the rooms on the unit
    settings: UnitSettings = UnitSettings()


@contextlib.contextmanager
def remote_world(workdir: Path, options: RemoteOptions) -> Iterator[World]:
    """A real rig: a second Pi wired to the unit (see docs/rig.md). Not runnable here."""
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        rooms = Rooms.start(options.rooms, port=options.rooms_port, log=workdir / "studio.log")
        stack.callback(rooms.close)
        if options.rooms_tunnel:
            # The studio's Icecast listens on the rig's 127.0.0.1; the tunnel makes the same
            # URLs valid on the unit.
            tunnel = subprocess.Popen(
                shlex.split(options.rooms_tunnel.format(port=options.rooms_port))
            )
            stack.callback(tunnel.terminate)
        capture = ArecordCapture(options.audio_in)
        stack.callback(capture.close)
        panel = open_serial_line(options.panel)
        stack.callback(panel.close)
        yield World(
            panel=panel,
            audio=capture.ring,
            phone=Phone(
                shlex.split(options.phone), workdir / "phone-state", options.phone_transport
            ),
            rooms=rooms,
            ctl=UnitCtl(shlex.split(options.unit_ctl)),
            power=HookPower(options.power_on, options.power_off, options.powered_off),
            settings=options.settings,
        )


def _unit_config(workdir: Path, panel: str, phone_port: int, options: LocalOptions) -> str:
    settings = options.settings
    values = {
        "audio": {"output": "pyaudio", "volume": options.volume, "mode": "live"},
        "engine": {"socket": str(workdir / "run" / "engine.sock")},
        "catalog": {"path": str(workdir / "unit-state" / "catalog.sqlite"), "library": []},
        "link": {"transport": "virtual", "phone_port": phone_port},
        "panel": {"device": f"serial:{panel},115200", "volume_step": settings.volume_step},
        "power": {
            "shutdown_delay_s": settings.shutdown_delay_s,
            "fade_s": settings.fade_s,
            "poweroff_command": f"touch {workdir / 'powered-off'}",
        },
    }
    lines = ["# Written by drivetime-rig local: the unit under test on this machine."]
    for section, keys in values.items():
        lines.append(f"\n[{section}]")
        # JSON's strings, numbers and lists are valid TOML values.
        lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def _script(name: str) -> str:
    """A console script of this installation (beside the interpreter), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if os.access(beside, os.X_OK) else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed (pip install -e '.[device,host]')")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
