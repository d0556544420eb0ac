"""The unit's pages as the phone lists them: pure functions, no Kivy.

Search results are grouped as on the unit: rooms live now, rooms that recently played it,
the unit's own music; browse pages (hashtags, genres, favorites, live rooms) get the same
tiles. A section header is an ``Item`` of kind ``section``.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

SECTIONS = {
    "live": "Live now",
    "recent": "Played it recently",
    "tracks": "Music on the car",
    "tags": "Hashtags",
    "genres": "Genres",
    "favorites": "Favorites",
    "presets": "Presets",
}


@dataclass(frozen=True)
class Item:
    title: str
    subtitle: str
    kind: str  # room, track, search (a hashtag or genre to search for), section
    target: str


def room_name(url: str) -> str:
    """``http://host/late-jazz.opus`` → ``Late jazz`` until the catalog names it."""
    if not url:
        return ""
    if not url.startswith(("http://", "https://")):
        return PurePosixPath(url).stem
    stem = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    for suffix in (".opus", ".ogg", ".oga", ".mp3"):
        stem = stem.removesuffix(suffix)
    words = stem.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _item(entry: dict[str, Any], section: str) -> Item | None:
    if "u" in entry:  # a room
        listeners = int(entry.get("l") or 0)
        song = " - ".join(str(p) for p in (entry.get("a"), entry.get("t")) if p)
        subtitle = " · ".join(p for p in (f"{listeners} listening" if listeners else "", song) if p)
        return Item(str(entry.get("n") or room_name(entry["u"])), subtitle, "room", entry["u"])
    if "p" in entry:  # a track on the unit
        subtitle = " · ".join(str(p) for p in (entry.get("a"), entry.get("b")) if p)
        return Item(
            str(entry.get("t") or PurePosixPath(entry["p"]).stem), subtitle, "track", entry["p"]
        )
    if "k" in entry and section in ("tags", "genres"):
        key = str(entry["k"]).lstrip("#")
        query = f"#{key} " if section == "tags" else f"genre:{key} "
        label = str(entry.get("n") or key)
        if section == "tags" and not label.startswith("#"):
            label = "#" + label
        rooms = int(entry.get("c") or 0)
        return Item(label, f"{rooms} live room{'s' if rooms != 1 else ''}", "search", query)
    return None


def grouped_results(data: dict[str, Any]) -> list[Item]:
    """Tiles for a ``search`` reply (``live``, ``recent``, ``tracks``) or ``{what: PAGE}``."""
    items: list[Item] = []
    for section, title in SECTIONS.items():
        page = data.get(section)
        if not isinstance(page, dict):
            continue
        tiles = [tile for entry in page.get("items", []) if (tile := _item(entry, section))]
        if tiles:
            items.append(Item(title, "", "section", section))
            items += tiles
    return items
