"""Message types: commands (remote → engine), replies, and events (engine → remotes).

Every message is a frozen dataclass that validates itself on construction, so a message
that exists is a valid one. Field names double as wire keys: keep them short, because the
same messages travel over BLE where every byte counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from device.protocol.errors import ErrorCode, ProtocolError

PROTOCOL_VERSION = 1

PLAYER_STATES = ("idle", "connecting", "buffering", "playing", "paused", "reconnecting", "error")
BUFFER_MODES = ("live", "road")
MAX_URL_CHARS = 512
MAX_TEXT_CHARS = 256
MAX_HOST_CHARS = 128  # four texts of 4-byte characters must still fit one 4096-byte message
ART_NAME_CHARS = 16  # hex digits of the picture's SHA-256 in its cached file name
ART_SUFFIXES = (".jpg", ".png")


def _bad(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_ARGUMENT, message)


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise _bad(f"{name} must be true or false")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{name} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise _bad(f"{name} must be {low}..{high}, got {value}")


def _check_text(name: str, value: Any, limit: int = MAX_TEXT_CHARS) -> None:
    if not isinstance(value, str):
        raise _bad(f"{name} must be text, got {type(value).__name__}")
    if len(value) > limit:
        raise _bad(f"{name} is longer than {limit} characters")


def _check_art_name(name: str, value: Any) -> None:
    """A cached picture's file name, or "": never a path, so a remote may join it to the art
    directory without checking for ``..`` or ``/``."""
    _check_text(name, value, ART_NAME_CHARS + 4)
    stem, dot, suffix = value.rpartition(".")
    valid = (
        len(stem) == ART_NAME_CHARS
        and all(c in "0123456789abcdef" for c in stem)
        and dot + suffix in ART_SUFFIXES
    )
    if value and not valid:
        raise _bad(f"{name} must be <{ART_NAME_CHARS} hex digits>.jpg or .png, got {value!r}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise _bad(f"{name} must be one of {', '.join(choices)}, got {value!r}")


@dataclass(frozen=True)
class Message:
    name: ClassVar[str] = ""

    def args(self) -> dict[str, Any]:
        """The wire arguments: every field except the request id, defaults left out."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "id" and value != f.default:
                out[f.name] = value
        return out


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command(Message):
    id: int = 0  # request id, echoed by the reply; 0..65535

    def __post_init__(self) -> None:
        _check_int("id", self.id, 0, 0xFFFF)


@dataclass(frozen=True)
class Status(Command):
    name: ClassVar[str] = "status"


@dataclass(frozen=True)
class Join(Command):
    name: ClassVar[str] = "join"
    url: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text("url", self.url, MAX_URL_CHARS)
        if not self.url.startswith(("http://", "https://")):
            raise _bad(f"url must start with http:// or https://, got {self.url[:40]!r}")


@dataclass(frozen=True)
class Pause(Command):
    name: ClassVar[str] = "pause"


@dataclass(frozen=True)
class Resume(Command):
    name: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Volume(Command):
    name: ClassVar[str] = "volume"
    percent: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("percent", self.percent, 0, 100)


@dataclass(frozen=True)
class Mode(Command):
    name: ClassVar[str] = "mode"
    mode: str = "live"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("mode", self.mode, BUFFER_MODES)


@dataclass(frozen=True)
class Watch(Command):
    """Subscribe this connection to events (the reply is followed by a PlayerState)."""

    name: ClassVar[str] = "watch"


# --- replies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ok(Message):
    name: ClassVar[str] = "ok"
    re: int = 0  # the request id this answers
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_int("re", self.re, 0, 0xFFFF)
        if not isinstance(self.data, dict):
            raise _bad("data must be an object")


@dataclass(frozen=True)
class Error(Message):
    name: ClassVar[str] = "err"
    re: int = 0
    code: str = ErrorCode.INTERNAL.value
    msg: str = ""

    def __post_init__(self) -> None:
        _check_int("re", self.re, 0, 0xFFFF)
        _check_choice("code", self.code, tuple(c.value for c in ErrorCode))
        _check_text("msg", self.msg)


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event(Message):
    pass


@dataclass(frozen=True)
class PlayerState(Event):
    """The player's state; sent on every change and as the reply data of ``status``."""

    name: ClassVar[str] = "state"
    state: str = "idle"
    room: str = ""  # the selected room's URL, "" when idle
    mode: str = "live"
    volume: int = 50
    detail: str = ""  # why: "room ended", "room full or private", ...

    def __post_init__(self) -> None:
        _check_choice("state", self.state, PLAYER_STATES)
        _check_text("room", self.room, MAX_URL_CHARS)
        _check_choice("mode", self.mode, BUFFER_MODES)
        _check_int("volume", self.volume, 0, 100)
        _check_text("detail", self.detail)


@dataclass(frozen=True)
class NowPlaying(Event):
    """What is audible now (sent when a chained song reaches the speakers, not when received).

    ``host`` is the show's host (a room's HOST tag); ``art`` the file name of its picture in
    the unit's art directory (``<16 hex digits of its SHA-256>.jpg|.png``), "" without one."""

    name: ClassVar[str] = "now"
    artist: str = ""
    title: str = ""
    album: str = ""
    host: str = ""
    art: str = ""

    def __post_init__(self) -> None:
        for key in ("artist", "title", "album"):
            _check_text(key, getattr(self, key))
        _check_text("host", self.host, MAX_HOST_CHARS)
        _check_art_name("art", self.art)


@dataclass(frozen=True)
class Stats(Event):
    """Playout counters, sent about once a second while playing."""

    name: ClassVar[str] = "stats"
    depth_ms: int = 0
    underruns: int = 0
    concealed_ms: int = 0
    skipped_ms: int = 0
    missed_ms: int = 0
    gap_ms: int = 0
    stretched_ms: int = 0
    lag_ms: int = -1  # behind the room's source when the source says its clock, else -1

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_int(f.name, getattr(self, f.name), -1, 2**31 - 1)


PLAYER_COMMANDS: tuple[type[Command], ...] = (Status, Join, Pause, Resume, Volume, Mode, Watch)
PLAYER_EVENTS: tuple[type[Event], ...] = (PlayerState, NowPlaying, Stats)
REPLIES: dict[str, type[Message]] = {r.name: r for r in (Ok, Error)}
