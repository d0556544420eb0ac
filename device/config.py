"""The unit's configuration: one TOML file, typed, validated, defaults in one place.

Every key has its default in the dataclasses below; a config file only names what differs.
Unknown sections or keys, wrong types, out-of-range values and keys that contradict each other
(a start depth above its target, a backoff cap below its initial delay) are refused with the
keys' full names and, for a misspelling, a "did you mean" suggestion. A config that loads is
one the engine can run: everything the playout policies and the room client would refuse is
refused here first, when the driver can still read the message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    pass


def default_runtime_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/drivetime-{os.getuid()}"
    return Path(base) / "drivetime"


@dataclass(frozen=True)
class AudioConfig:
    output: str = "auto"  # "auto", "pyaudio", "pyaudio:<device name>", "file:<path>", "null"
    frames_per_block: int = 960  # 20 ms at 48 kHz
    volume: int = 50  # percent, 0..100
    mode: str = "live"  # "live" or "road"

    @property
    def chosen_output_path(self) -> Path:
        """The driver's choice of output from Settings, used while ``output`` is auto."""
        return default_state_dir() / "audio.json"


@dataclass(frozen=True)
class LiveConfig:
    target_ms: int = 120  # how far behind the live edge to play
    start_ms: int = 60  # buffered audio needed before the first block plays
    max_excess_ms: int = 300  # backlog beyond the target that is skipped to catch up


@dataclass(frozen=True)
class RoadConfig:
    target_ms: int = 30_000  # buffer depth that bridges coverage gaps
    start_ms: int = 200  # playing starts at this depth; the rest grows while playing
    grow: bool = True  # grow toward the target by stretching quiet frames


@dataclass(frozen=True)
class NetworkConfig:
    connect_timeout_s: float = 5.0
    stall_timeout_s: float = 4.0  # no bytes for this long: reconnect
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 4.0  # short: a road buffer drains while we wait


@dataclass(frozen=True)
class EngineConfig:
    socket: str = ""  # control socket path; "" = <runtime dir>/engine.sock

    @property
    def socket_path(self) -> Path:
        return Path(self.socket) if self.socket else default_runtime_dir() / "engine.sock"

    @property
    def art_dir(self) -> Path:
        """Pictures of what plays; the ``now`` event's ``art`` is a file name in here."""
        return default_state_dir() / "art"


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "drivetime"


@dataclass(frozen=True)
class CatalogConfig:
    path: str = ""  # SQLite file; "" = <state dir>/catalog.sqlite
    sources: tuple[str, ...] = ()  # "icecast:<base-url>", "playlist:<path or url>"
    refresh_s: float = 60.0  # directory and now-playing peeks, per round
    resume: bool = True  # play the last room (or track, at its position) again at start
    # Local music folders; "auto" stands for the removable media mounted (/media/*/*, ...).
    library: tuple[str, ...] = ("auto",)

    @property
    def db_path(self) -> Path:
        return Path(self.path) if self.path else default_state_dir() / "catalog.sqlite"


@dataclass(frozen=True)
class LinkConfig:
    # Bluetooth LE for the phone: "" off, "hci-socket:0" (Pi built-in), "usb:0" (a dongle),
    # "virtual" (bumble's in-process radio; phones reach it on phone_port, see README).
    transport: str = ""
    phone_port: int = 7531  # virtual only: TCP port of the phone side's virtual controller
    max_bonds: int = 5  # phones remembered; pairing one more forgets the longest unused
    pairing_window_s: float = 60.0

    @property
    def bonds_dir(self) -> Path:
        return default_state_dir() / "link"


@dataclass(frozen=True)
class PanelConfig:
    # The knob-and-buttons panel: "" none, "serial:<path>,<baud>" (on the unit:
    # "serial:/dev/drivetime-panel,115200", the udev rule's name), "fake" (in-process, tests).
    device: str = ""
    volume_step: int = 2  # percent per knob detent (a full turn of 20 detents: 40 %)


@dataclass(frozen=True)
class PowerConfig:
    shutdown_delay_s: float = 30.0  # ignition off → power off, unless it comes back first
    fade_s: float = 2.0  # the audio fades out over this at ignition off
    poweroff_command: str = "systemctl poweroff"


@dataclass(frozen=True)
class Config:
    audio: AudioConfig = field(default_factory=AudioConfig)
    live: LiveConfig = field(default_factory=LiveConfig)
    road: RoadConfig = field(default_factory=RoadConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    link: LinkConfig = field(default_factory=LinkConfig)
    panel: PanelConfig = field(default_factory=PanelConfig)
    power: PowerConfig = field(default_factory=PowerConfig)


_CHOICES = {"audio.mode": ("live", "road")}
_RANGES = {
    "audio.volume": (0, 100),
    "audio.frames_per_block": (64, 48_000),
    "live.target_ms": (20, 5_000),
    "live.start_ms": (20, 5_000),
    "live.max_excess_ms": (20, 60_000),
    "road.target_ms": (1_000, 120_000),
    "road.start_ms": (20, 10_000),
    "network.connect_timeout_s": (0.1, 120),
    "network.stall_timeout_s": (0.1, 120),
    "network.backoff_initial_s": (0.01, 60),
    "network.backoff_max_s": (0.1, 3_600),
    "catalog.refresh_s": (5.0, 86_400),
    "link.phone_port": (0, 65_535),
    "link.max_bonds": (1, 32),
    "link.pairing_window_s": (10.0, 600.0),
    "panel.volume_step": (1, 20),
    "power.shutdown_delay_s": (0.0, 3_600.0),
    "power.fade_s": (0.0, 30.0),
}


def load_config(path: str | os.PathLike[str] | None) -> Config:
    """Read a TOML config file; None means all defaults. Every failure is a ConfigError."""
    if path is None:
        return Config()
    import tomllib  # here, not at the top: without a file (the defaults) start-up skips its 11 ms

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory, not a file") from None
    except PermissionError:
        raise ConfigError(f"config file {path} cannot be read: permission denied") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
            f"on line {line})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return config_from_dict(data, source=str(path))


def config_from_dict(data: dict[str, Any], source: str = "config") -> Config:
    config = Config()
    sections = {f.name: f for f in fields(Config)}
    for section_name, values in data.items():
        if section_name not in sections:
            raise ConfigError(
                f"{source}: unknown section [{section_name}]{_hint(section_name, sections)}"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section_name}] must be a table of keys")
        section = getattr(config, section_name)
        config = replace(config, **{section_name: _section(section, section_name, values, source)})
    _check_orders(config, data, source)
    return config


# (smaller key, larger key): the first must not exceed the second. The playout policies refuse
# a start depth above the target and the room client a backoff cap below its initial delay;
# refusing them here names the keys, where the engine would only crash.
_ORDERS = (
    ("live.start_ms", "live.target_ms"),
    ("road.start_ms", "road.target_ms"),
    ("network.backoff_initial_s", "network.backoff_max_s"),
)


def _check_orders(config: Config, data: dict[str, Any], source: str) -> None:
    for small_key, large_key in _ORDERS:
        small, large = _value(config, small_key), _value(config, large_key)
        if small > large:
            raise ConfigError(
                f"{source}: {small_key} ({_shown(small, small_key, data)}) must not exceed "
                f"{large_key} ({_shown(large, large_key, data)})"
            )


def _value(config: Config, full: str) -> Any:
    section, key = full.split(".")
    return getattr(getattr(config, section), key)


def _shown(value: float, full: str, data: dict[str, Any]) -> str:
    """The value, marked as the default when the file does not name the key."""
    section, key = full.split(".")
    return f"{value:g}" if key in data.get(section, {}) else f"{value:g}, the default"


def _section(section: Any, name: str, values: dict[str, Any], source: str) -> Any:
    known = {f.name: f for f in fields(section)}
    changes = {}
    for key, value in values.items():
        full = f"{name}.{key}"
        if key not in known:
            raise ConfigError(f"{source}: unknown key {full}{_hint(key, known, name + '.')}")
        changes[key] = _checked(full, value, type(getattr(section, key)), source)
    return replace(section, **changes)


def _checked(full: str, value: Any, expected: type, source: str) -> Any:
    if expected is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {full} must be a list of strings, got {value!r}")
        return tuple(value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
        raise ConfigError(
            f"{source}: {full} must be {expected.__name__}, got {type(value).__name__} {value!r}"
        )
    if full in _CHOICES and value not in _CHOICES[full]:
        raise ConfigError(f"{source}: {full} must be one of {', '.join(_CHOICES[full])}")
    if full in _RANGES:
        low, high = _RANGES[full]
        if not low <= value <= high:
            raise ConfigError(f"{source}: {full} must be between {low} and {high}, got {value}")
    return value


def _hint(word: str, known: dict[str, Any], prefix: str = "") -> str:
    import difflib  # only a config with a mistake needs it

    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {prefix}{close[0]}?)" if close else ""
