"""Catalog results as compact protocol items (short keys: they travel over BLE).

Room: ``u`` url, ``n`` name, ``l`` listeners, ``g`` genres, ``f`` favorite (1/0), ``m`` why it
matched (playing/played/room), ``a``/``t`` artist/title of the matching or current song.
Track: ``p`` path, ``t`` title, ``a`` artist, ``b`` album. Tag or genre: ``k`` key, ``n``
label, ``c`` live rooms. Preset: ``s`` slot, ``k`` kind, ``t`` target, ``n`` label. Played:
``t`` target, ``k`` kind, ``n`` label.
"""

from __future__ import annotations

import json
from typing import Any

from device.catalog import Page, Played, Preset, Room, RoomHit, TagCount, TrackRecord

TEXT_CHARS = 48  # a glance-sized label; the full text is one tap away
REPLY_BUDGET_BYTES = 3600  # under the protocol's 4096 with the envelope


def _short(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def room_item(room: Room, hit: RoomHit | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"u": room.url, "n": _short(room.name), "l": room.listeners}
    if room.genres:
        item["g"] = _short(", ".join(room.genres))
    if room.favorite:
        item["f"] = 1
    song = hit.song if hit is not None and hit.song is not None else room.now_playing
    if hit is not None:
        item["m"] = hit.match
    if song is not None:
        item["a"], item["t"] = _short(song.artist), _short(song.title)
    return item


def track_item(track: TrackRecord) -> dict[str, Any]:
    return {
        "p": track.path,
        "t": _short(track.title),
        "a": _short(track.artist),
        "b": _short(track.album),
    }


def tag_item(tag: TagCount) -> dict[str, Any]:
    return {"k": tag.key, "n": _short(tag.label), "c": tag.live_rooms}


def preset_item(preset: Preset) -> dict[str, Any]:
    return {"s": preset.slot, "k": preset.kind, "t": preset.target, "n": _short(preset.label)}


def played_item(played: Played) -> dict[str, Any]:
    return {"t": played.target, "k": played.kind, "n": _short(played.label)}


def page_data(page: Page[Any], to_item: Any) -> dict[str, Any]:
    return {"total": page.total, "offset": page.offset, "items": [to_item(i) for i in page.items]}


def fit(data: dict[str, Any]) -> dict[str, Any]:
    """Drop items from the end of the longest page until the reply fits one message.

    ``total`` and ``offset`` stay true, so a client pages on from what it got.
    """
    while len(json.dumps(data, ensure_ascii=False).encode()) > REPLY_BUDGET_BYTES:
        pages = [p for p in _pages(data) if p["items"]]
        if not pages:
            break
        max(pages, key=lambda p: len(p["items"]))["items"].pop()
    return data


def _pages(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "items" in data:
        return [data]
    return [v for v in data.values() if isinstance(v, dict) and "items" in v]
