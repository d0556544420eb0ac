"""The wire contract between the engine and its remotes (touchscreen UI, phone, panel).

Defined once here and imported by ``host/``: message types, their compact encoding, and the
framing used on byte streams (Unix socket) and on BLE GATT (fragments fitting a 23-byte MTU).
No I/O and no third-party imports, so every remote can depend on it.
"""

from device.protocol.audio_messages import Output, Outputs
from device.protocol.catalog_messages import (
    MAX_PAGE,
    Browse,
    Favorite,
    PresetClear,
    PresetPlay,
    PresetSet,
    Search,
)
from device.protocol.codec import decode_message, encode_message
from device.protocol.errors import ErrorCode, ProtocolError
from device.protocol.framing import (
    MAX_MESSAGE_BYTES,
    FragmentReassembler,
    StreamDeframer,
    fragment,
    frame,
)
from device.protocol.link_messages import (
    Car,
    Driving,
    Forget,
    PairConfirm,
    Pairing,
    PairOpen,
    Phones,
    Relay,
)
from device.protocol.messages import (
    PROTOCOL_VERSION,
    Command,
    Error,
    Event,
    Join,
    Message,
    Mode,
    NowPlaying,
    Ok,
    Pause,
    PlayerState,
    Resume,
    Stats,
    Status,
    Volume,
    Watch,
)
from device.protocol.music_messages import Library, Next, Previous, Queue, Shuffle
from device.protocol.panel_messages import Knob, Light, PanelInput, Power
from device.protocol.registry import COMMANDS, EVENTS

__all__ = [
    "COMMANDS",
    "EVENTS",
    "MAX_MESSAGE_BYTES",
    "MAX_PAGE",
    "PROTOCOL_VERSION",
    "Browse",
    "Car",
    "Command",
    "Driving",
    "Error",
    "ErrorCode",
    "Event",
    "Favorite",
    "Forget",
    "FragmentReassembler",
    "Join",
    "Knob",
    "Library",
    "Light",
    "Message",
    "Mode",
    "Next",
    "NowPlaying",
    "Ok",
    "Output",
    "Outputs",
    "PairConfirm",
    "PairOpen",
    "Pairing",
    "PanelInput",
    "Pause",
    "Phones",
    "PlayerState",
    "Power",
    "PresetClear",
    "PresetPlay",
    "PresetSet",
    "Previous",
    "ProtocolError",
    "Queue",
    "Relay",
    "Resume",
    "Search",
    "Shuffle",
    "Stats",
    "Status",
    "StreamDeframer",
    "Volume",
    "Watch",
    "decode_message",
    "encode_message",
    "fragment",
    "frame",
]
