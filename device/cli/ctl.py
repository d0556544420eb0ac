"""``drivetime-unit ctl``: one command to a running engine, or a stream of its events."""

from __future__ import annotations

import sys
from pathlib import Path

from device.config import Config
from device.control_client import CommandFailed, ControlClient, EngineUnavailable
from device.protocol import (
    Browse,
    Command,
    Driving,
    Favorite,
    Forget,
    Join,
    Library,
    Mode,
    Next,
    PairConfirm,
    PairOpen,
    Pause,
    Phones,
    PlayerState,
    PresetClear,
    PresetPlay,
    PresetSet,
    Previous,
    ProtocolError,
    Queue,
    Resume,
    Search,
    Shuffle,
    Status,
    Volume,
    Watch,
)
from device.protocol.text import event_line, listing_lines


class UsageError(ValueError):
    pass


def parse_command(words: list[str]) -> Command:
    """Turn ``ctl`` words into a protocol command, with a clear error for a bad line."""
    name, rest = words[0], words[1:]
    simple = {
        "status": Status,
        "pause": Pause,
        "resume": Resume,
        "watch": Watch,
        "next": Next,
        "previous": Previous,
    }
    try:
        if name in simple and not rest:
            return simple[name]()
        if name == "join" and len(rest) == 1:
            return Join(url=rest[0])
        if name == "volume" and len(rest) == 1:
            if not rest[0].isdigit():
                raise UsageError(f"volume must be a number 0-100, got {rest[0]!r}")
            return Volume(percent=int(rest[0]))
        if name == "mode" and len(rest) == 1:
            return Mode(mode=rest[0])
        catalog = (
            _catalog_command(name, rest) or _music_command(name, rest) or _link_command(name, rest)
        )
        if catalog is not None:
            return catalog
    except ProtocolError as exc:
        raise UsageError(exc.message) from None
    raise UsageError(f"unknown or incomplete command: {' '.join(words)}")


def _catalog_command(name: str, rest: list[str]) -> Command | None:
    if name == "search" and rest:
        return Search(q=" ".join(rest))
    if name in ("rooms", "browse") and len(rest) <= 1:
        return Browse(what=rest[0] if rest else "live")
    if name == "favorite" and len(rest) in (1, 2):
        if rest[1:] not in ([], ["on"], ["off"]):
            raise UsageError("favorite URL [on|off]")
        return Favorite(url=rest[0], on=rest[1:] != ["off"])
    if name == "preset" and rest:
        op, args = rest[0], rest[1:]
        slot = _slot(args[0]) if args else 0
        if op == "set" and len(args) in (2, 3):
            kind, target = ("room", args[1]) if len(args) == 2 else (args[1], args[2])
            return PresetSet(slot=slot, kind=kind, target=target)
        if op == "play" and len(args) == 1:
            return PresetPlay(slot=slot)
        if op == "clear" and len(args) == 1:
            return PresetClear(slot=slot)
        raise UsageError("preset set N [KIND] TARGET | preset play N | preset clear N")
    return None


def _music_command(name: str, rest: list[str]) -> Command | None:
    if name == "library":
        what = rest[0] if rest else "artists"
        if what == "artists" and len(rest) <= 1:
            return Library(what="artists")
        if what == "albums" and len(rest) <= 2:
            return Library(what="albums", artist=rest[1] if len(rest) == 2 else "")
        if what == "tracks" and len(rest) == 2:
            return Library(what="tracks", album=rest[1])
        raise UsageError("library [artists | albums [ARTIST] | tracks ALBUM]")
    if name == "queue":
        if not rest:
            return Queue()
        shuffle = rest[-1] == "shuffle"
        words = rest[:-1] if shuffle else rest
        if len(words) == 2:
            return Queue(kind=words[0], target=words[1], shuffle=shuffle)
        raise UsageError("queue [track|album|artist|playlist TARGET [shuffle]]")
    if name == "shuffle" and rest in (["on"], ["off"]):
        return Shuffle(on=rest == ["on"])
    return None


def _link_command(name: str, rest: list[str]) -> Command | None:
    if name == "pair" and rest == ["open"]:
        return PairOpen()
    if name == "pair" and rest in (["yes"], ["no"]):
        return PairConfirm(accept=rest == ["yes"])
    if name == "pair":
        raise UsageError("pair open | pair yes | pair no")
    if name == "phones" and not rest:
        return Phones()
    if name == "forget" and len(rest) == 1:
        return Forget(address=rest[0])
    if name == "driving" and rest in (["on"], ["off"]):
        return Driving(on=rest == ["on"])
    return None


def _slot(text: str) -> int:
    if not text.isdigit():
        raise UsageError(f"preset slot must be 1-4, got {text!r}")
    return int(text)


async def run_ctl(words: list[str], socket: str | None, config: Config) -> int:
    try:
        command = parse_command(words)
    except UsageError as exc:
        print(f"drivetime-unit ctl: {exc}", file=sys.stderr)
        return 2
    client = ControlClient(Path(socket) if socket else config.engine.socket_path)
    try:
        await client.connect()
        reply = await client.request(command)
        if isinstance(command, Search | Browse | Library | Queue | Phones):
            print(listing_lines(reply.data))
            return 0
        if isinstance(command, PairOpen | PairConfirm | Forget | Driving):
            print(", ".join(f"{k}: {v}" for k, v in reply.data.items()) or "done")
            return 0
        if not isinstance(command, Watch):
            print(event_line(_reply_state(reply.data)))
            return 0
        async for event in client.events():
            print(event_line(event), flush=True)
    except EngineUnavailable as exc:
        print(f"drivetime-unit ctl: {exc}", file=sys.stderr)
        return 1
    except CommandFailed as exc:
        print(f"drivetime-unit ctl: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()
    return 0


def _reply_state(data: dict[str, object]) -> PlayerState:
    try:
        return PlayerState(**data)
    except (ProtocolError, TypeError) as exc:
        raise EngineUnavailable(f"the engine sent an unexpected reply: {exc}") from None
