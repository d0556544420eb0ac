"""The driver's touchscreen choices — theme and language — kept across power cuts.

A small JSON file in the unit's state directory, written whole or not at all
(``device.durable_file``). A file that cannot be read is set aside and the defaults apply:
a broken settings file must never keep the screen from starting.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from device.config import default_state_dir
from device.durable_file import CorruptFile, read_json_object, write_json
from device.ui.i18n import LANGUAGES

log = logging.getLogger(__name__)

THEME_CHOICES = ("auto", "day", "night")  # auto: by ambient light when known, else the hour


@dataclass(frozen=True)
class UiSettings:
    theme: str = "auto"
    language: str = ""  # "" follows the system's language

    def __post_init__(self) -> None:
        if self.theme not in THEME_CHOICES:
            raise ValueError(f"theme must be one of {', '.join(THEME_CHOICES)}")
        if self.language and self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)} or empty")


def default_settings_path() -> Path:
    return default_state_dir() / "ui.json"


def load_settings(path: Path) -> UiSettings:
    try:
        stored = read_json_object(path)
    except CorruptFile as exc:
        log.error("touchscreen settings unreadable, using defaults: %s", exc)
        return UiSettings()
    if stored is None:
        return UiSettings()
    known = {field.name for field in fields(UiSettings)}
    values = {key: value for key, value in stored.items() if key in known}
    try:
        return UiSettings(**values)
    except (TypeError, ValueError) as exc:
        log.error("touchscreen settings in %s not usable (%s): using defaults", path, exc)
        return UiSettings()


def save_settings(path: Path, settings: UiSettings) -> None:
    write_json(path, asdict(settings))
