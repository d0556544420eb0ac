"""Catalog commands: search, browse, presets, favorites. Results come back paged in ``ok``.

Every list reply is ``{"total": N, "offset": K, "items": [...]}`` with at most ``MAX_PAGE``
items, so a page stays a few hundred bytes: a handful of BLE fragments, not hundreds.
Item keys are short on purpose (see docs/protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from device.protocol.messages import (
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    Command,
    _bad,
    _check_bool,
    _check_choice,
    _check_int,
    _check_text,
)

MAX_PAGE = 10
MAX_QUERY_CHARS = 128
PRESET_SLOTS = 4
PRESET_KINDS = ("room", "artist", "album", "playlist")
BROWSE_KINDS = ("live", "tags", "genres", "favorites", "recent", "presets")


@dataclass(frozen=True)
class _Paged(Command):
    offset: int = 0
    limit: int = MAX_PAGE

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("offset", self.offset, 0, 1_000_000)
        _check_int("limit", self.limit, 1, MAX_PAGE)


@dataclass(frozen=True)
class Search(_Paged):
    """One query box: ``#tag``, ``artist:``, ``song:``, ``genre:``, plain words; last word is
    a prefix (search as you type)."""

    name: ClassVar[str] = "search"
    q: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text("q", self.q, MAX_QUERY_CHARS)
        if not self.q.strip():
            raise _bad("q must not be empty")


@dataclass(frozen=True)
class Browse(_Paged):
    name: ClassVar[str] = "browse"
    what: str = "live"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("what", self.what, BROWSE_KINDS)


@dataclass(frozen=True)
class Favorite(Command):
    name: ClassVar[str] = "favorite"
    url: str = ""
    on: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text("url", self.url, MAX_URL_CHARS)
        if not self.url:
            raise _bad("url must not be empty")
        _check_bool("on", self.on)


@dataclass(frozen=True)
class PresetSet(Command):
    name: ClassVar[str] = "preset_set"
    slot: int = 1
    kind: str = "room"
    target: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("slot", self.slot, 1, PRESET_SLOTS)
        _check_choice("kind", self.kind, PRESET_KINDS)
        _check_text("target", self.target, MAX_URL_CHARS)
        _check_text("label", self.label, MAX_TEXT_CHARS)
        if not self.target:
            raise _bad("target must not be empty")


@dataclass(frozen=True)
class PresetPlay(Command):
    name: ClassVar[str] = "preset_play"
    slot: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("slot", self.slot, 1, PRESET_SLOTS)


@dataclass(frozen=True)
class PresetClear(Command):
    name: ClassVar[str] = "preset_clear"
    slot: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("slot", self.slot, 1, PRESET_SLOTS)


CATALOG_COMMANDS: tuple[type[Command], ...] = (
    Search,
    Browse,
    Favorite,
    PresetSet,
    PresetPlay,
    PresetClear,
)


def preset_labels(page: dict[str, Any], slots: int = PRESET_SLOTS) -> list[str]:
    """The slots' labels from a ``browse presets`` page, "" for an empty slot (what the
    unit's screen and the phone both show on their preset buttons)."""
    labels = [""] * slots
    for item in page.get("items", []):
        slot = item.get("s") if isinstance(item, dict) else None
        if isinstance(slot, int) and 1 <= slot <= slots:
            labels[slot - 1] = str(item.get("n") or item.get("t") or "")
    return labels
