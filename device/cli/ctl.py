"""``drivetime-unit ctl``: one command to a running engine, or a stream of its events."""

from __future__ import annotations

import sys
from pathlib import Path

from device.cli.lines import event_line
from device.config import Config
from device.control_client import CommandFailed, ControlClient, EngineUnavailable
from device.protocol import (
    Command,
    Join,
    Mode,
    Pause,
    PlayerState,
    ProtocolError,
    Resume,
    Status,
    Volume,
    Watch,
)


class UsageError(ValueError):
    pass


def parse_command(words: list[str]) -> Command:
    """Turn ``ctl`` words into a protocol command, with a clear error for a bad line."""
    name, rest = words[0], words[1:]
    simple = {"status": Status, "pause": Pause, "resume": Resume, "watch": Watch}
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
    except ProtocolError as exc:
        raise UsageError(exc.message) from None
    raise UsageError(f"unknown or incomplete command: {' '.join(words)}")


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
