"""``drivetime-host``: the phone's side from a terminal — pair with the unit and control it.

    drivetime-host --transport tcp-client:127.0.0.1:7531 pair     # the demo's virtual radio
    drivetime-host status | watch | rooms | search "#jazz" | join URL | play | pause
    drivetime-host volume 40 | preset 2 | driving on | forget | scan
    drivetime-host relay http://…/room.opus | song.opus      # when the unit has no network

With ``--transport`` (or ``$DRIVETIME_BLE_TRANSPORT``) the bumble backend drives that
transport: the demo's shared virtual radio, or a USB dongle (``usb:0``). Without it, the
platform's own bleak backend (BlueZ, CoreBluetooth, WinRT) is used. It connects to the
bonded unit (or the first unit it finds) by itself; ``pair`` shows the six digits and asks.
Exit status: 0 done, 1 the unit refused or could not be reached (the reason on stderr),
2 a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

from device.protocol import (
    Browse,
    Command,
    Driving,
    Forget,
    Join,
    Pause,
    PlayerState,
    PresetPlay,
    ProtocolError,
    Relay,
    Resume,
    Search,
    Status,
    Volume,
)
from device.protocol.text import event_line, listing_lines
from host.client import CommandFailed, DeviceClient, UnitUnavailable
from host.relay import RelaySourceError, relay_source
from host.unit_memory import RememberedUnit, default_memory_path, load_unit, save_unit

TRANSPORT_ENV = "DRIVETIME_BLE_TRANSPORT"


def _commands() -> dict[str, tuple[str, Callable[..., Command]]]:
    """name → (argument help, builder from the words after it)."""
    return {
        "status": ("", lambda: Status()),
        "rooms": ("", lambda: Browse(what="live")),
        "search": ("QUERY", lambda *q: Search(q=" ".join(q))),
        "join": ("ROOM_URL", lambda url: Join(url=url)),
        "play": ("", lambda: Resume()),
        "pause": ("", lambda: Pause()),
        "volume": ("0-100", lambda n: Volume(percent=_number(n))),
        "preset": ("1-4", lambda n: PresetPlay(slot=_number(n))),
        "driving": ("on|off", lambda state: Driving(on=_on_off(state))),
    }


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["app"]:  # the Kivy app: its own options
        from host.app.__main__ import main as app_main

        return app_main(arguments[1:])
    parser = argparse.ArgumentParser(prog="drivetime-host", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--transport", default=os.environ.get(TRANSPORT_ENV), help="bumble transport"
    )
    parser.add_argument("--address", help="the unit's address (default: the bonded or first one)")
    parser.add_argument(
        "command", help="app, scan, pair, forget, watch, relay, " + ", ".join(_commands())
    )
    parser.add_argument("words", nargs="*")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace) -> int:
    try:
        build = _command(args.command, args.words)
    except (UsageError, ProtocolError) as exc:
        print(f"drivetime-host: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    unit = DeviceClient(**_backend(args.transport))
    try:
        if args.command == "scan":
            for found in await unit.scan():
                print(f"{found.address}  {found.name or ''}")
            return 0
        await unit.connect(args.address or _remembered_unit())
        if args.command == "pair":
            await unit.pair(_ask_to_compare)
            _remember_unit(unit.address)
            print("paired: the unit will connect by itself from now on")
            return 0
        if not unit.ready:
            print(
                "drivetime-host: not paired with this unit: run `drivetime-host pair`",
                file=sys.stderr,
            )
            return 1
        if args.command == "forget":
            await unit.request(Forget())
            await unit.unpair()
            _remember_unit(None)
            print("forgotten: this phone is no longer paired")
            return 0
        if args.command == "relay":
            target = args.words[0]
            await unit.request(Relay(label=target))
            print(f"relaying {target} to the unit (Ctrl-C stops)", flush=True)
            sent = await unit.relay(relay_source(target))
            print(f"relayed {sent} frames")
            return 0
        if args.command == "watch":
            async for event in unit.events():
                print(event_line(event), flush=True)
            return 0
        assert build is not None
        reply = await unit.request(build())
        print(_reply_text(reply.data))
        return 0
    except (UnitUnavailable, CommandFailed, RelaySourceError) as exc:
        print(f"drivetime-host: {exc}", file=sys.stderr)
        return 1
    finally:
        await unit.close()


class UsageError(ValueError):
    pass


def _reply_text(data: dict[str, Any]) -> str:
    if "items" in data or "live" in data:
        return listing_lines(data)
    if "state" in data:
        return event_line(PlayerState(**data))
    return ", ".join(f"{key}: {value}" for key, value in data.items()) or "done"


def _command(name: str, words: list[str]) -> Callable[[], Command] | None:
    if name == "relay":
        if len(words) != 1:
            raise UsageError("usage: drivetime-host relay ROOM_URL|FILE.opus")
        return None
    if name in ("scan", "pair", "forget", "watch"):
        if words:
            raise UsageError(f"{name} takes no arguments")
        return None
    commands = _commands()
    if name not in commands:
        raise UsageError(f"unknown command {name!r}; choose from scan, pair, forget, watch, "
                         + ", ".join(commands))  # fmt: skip
    usage, builder = commands[name]
    try:
        command = builder(*words)
    except TypeError:
        raise UsageError(f"usage: drivetime-host {name} {usage}".rstrip()) from None
    return lambda: command


def _backend(transport: str | None) -> dict[str, Any]:
    if not transport:
        return {}
    from host.bumble_backend import BUMBLE_BACKENDS  # only when bumble drives the radio

    return {**BUMBLE_BACKENDS, "transport": transport}


async def _ask_to_compare(digits: int) -> bool:
    prompt = f"Does the unit show {digits:06d}? [y/N] "
    answer = await asyncio.to_thread(input, prompt)
    return answer.strip().lower() in ("y", "yes")


def _remembered_unit() -> str | None:
    """The unit this phone paired with last: connected to without a scan."""
    unit = load_unit(default_memory_path())
    return unit.address if unit else None


def _remember_unit(address: str | None) -> None:
    path = default_memory_path()
    previous = load_unit(path)
    name = previous.name if previous and previous.address == address else ""
    save_unit(path, RememberedUnit(address, name) if address else None)


def _number(text: str) -> int:
    if not text.isdigit():
        raise UsageError(f"expected a number, got {text!r}")
    return int(text)


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise UsageError(f"expected on or off, got {text!r}")
    return text == "on"
