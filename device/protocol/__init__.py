"""The wire contract between the engine and its remotes (touchscreen UI, phone, panel).

Defined once here and imported by ``host/``: message types, their compact encoding, and the
framing used on byte streams (Unix socket) and on BLE GATT (fragments fitting a 23-byte MTU).
No I/O and no third-party imports, so every remote can depend on it.

The names below load their module on first use (PEP 562): a process that only plays a room
imports the player's messages, not every family and the codec's tables — start-up CPU is
what the unit pays at each ignition (docs/performance.md).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULE_OF: dict[str, str] = {
    "Output": "audio_messages",
    "Outputs": "audio_messages",
    "MAX_PAGE": "catalog_messages",
    "Browse": "catalog_messages",
    "Favorite": "catalog_messages",
    "PresetClear": "catalog_messages",
    "PresetPlay": "catalog_messages",
    "PresetSet": "catalog_messages",
    "Search": "catalog_messages",
    "decode_message": "codec",
    "encode_message": "codec",
    "ErrorCode": "errors",
    "ProtocolError": "errors",
    "MAX_MESSAGE_BYTES": "framing",
    "FragmentReassembler": "framing",
    "StreamDeframer": "framing",
    "fragment": "framing",
    "frame": "framing",
    "Car": "link_messages",
    "Driving": "link_messages",
    "Forget": "link_messages",
    "PairConfirm": "link_messages",
    "Pairing": "link_messages",
    "PairOpen": "link_messages",
    "Phones": "link_messages",
    "Relay": "link_messages",
    "PROTOCOL_VERSION": "messages",
    "Command": "messages",
    "Error": "messages",
    "Event": "messages",
    "Join": "messages",
    "Message": "messages",
    "Mode": "messages",
    "NowPlaying": "messages",
    "Ok": "messages",
    "Pause": "messages",
    "PlayerState": "messages",
    "Resume": "messages",
    "Stats": "messages",
    "Status": "messages",
    "Volume": "messages",
    "Watch": "messages",
    "Library": "music_messages",
    "Next": "music_messages",
    "Previous": "music_messages",
    "Queue": "music_messages",
    "Shuffle": "music_messages",
    "Knob": "panel_messages",
    "Light": "panel_messages",
    "PanelInput": "panel_messages",
    "Power": "panel_messages",
    "COMMANDS": "registry",
    "EVENTS": "registry",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})
