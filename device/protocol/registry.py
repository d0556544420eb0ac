"""Every message name the codec knows, in one place."""

from __future__ import annotations

from device.protocol.catalog_messages import CATALOG_COMMANDS
from device.protocol.messages import EVENTS, PLAYER_COMMANDS, Command
from device.protocol.music_messages import MUSIC_COMMANDS

COMMANDS: dict[str, type[Command]] = {
    c.name: c for c in (*PLAYER_COMMANDS, *CATALOG_COMMANDS, *MUSIC_COMMANDS)
}

__all__ = ["COMMANDS", "EVENTS"]
