"""Every message name the codec knows, in one place."""

from __future__ import annotations

from device.protocol.audio_messages import AUDIO_COMMANDS
from device.protocol.catalog_messages import CATALOG_COMMANDS
from device.protocol.link_messages import LINK_COMMANDS, LINK_EVENTS, RELAY_COMMANDS
from device.protocol.messages import PLAYER_COMMANDS, PLAYER_EVENTS, Command, Event
from device.protocol.music_messages import MUSIC_COMMANDS
from device.protocol.panel_messages import PANEL_COMMANDS, PANEL_EVENTS

COMMANDS: dict[str, type[Command]] = {
    c.name: c
    for c in (
        *PLAYER_COMMANDS,
        *CATALOG_COMMANDS,
        *MUSIC_COMMANDS,
        *LINK_COMMANDS,
        *RELAY_COMMANDS,
        *PANEL_COMMANDS,
        *AUDIO_COMMANDS,
    )
}
EVENTS: dict[str, type[Event]] = {e.name: e for e in (*PLAYER_EVENTS, *LINK_EVENTS, *PANEL_EVENTS)}

__all__ = ["COMMANDS", "EVENTS"]
