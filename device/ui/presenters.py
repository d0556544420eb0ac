"""What the screens show, worked out from the engine's messages: pure functions, no Kivy.

The App keeps the engine's raw state (from events) and asks these functions for the words,
numbers and commands; keeping them here lets them be read and tested without a window.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from device.protocol import Command, Pause, PresetSet, Resume

VOLUME_STEP = 5  # percent per tap: 20 taps from silent to full
STREAM_SUFFIXES = (".opus", ".ogg", ".oga", ".mp3")
FLOWING_STATES = ("connecting", "buffering", "playing", "reconnecting")
STATE_WORDS = {
    "idle": "Nothing playing",
    "connecting": "Connecting…",
    "buffering": "Buffering…",
    "playing": "Playing",
    "paused": "Paused",
    "reconnecting": "Reconnecting…",
    "error": "Cannot play",
}


def is_room(room: str) -> bool:
    return room.startswith(("http://", "https://"))


def room_display(room: str) -> tuple[str, str]:
    """(name, where) for the selected room URL or music file path, before the catalog
    names it: ``http://host:8000/late-jazz.opus`` → ("Late jazz", "host:8000")."""
    if not room:
        return "", ""
    if is_room(room):
        url = urllib.parse.urlsplit(room)
        stem = urllib.parse.unquote(url.path.rstrip("/").rsplit("/", 1)[-1])
        for suffix in STREAM_SUFFIXES:
            stem = stem.removesuffix(suffix)
        words = stem.replace("-", " ").replace("_", " ").strip()
        return (words[:1].upper() + words[1:]) or url.netloc, url.netloc
    folder = PurePosixPath(room).parent.name
    return folder or "Music", "Local music"


def state_words(state: str, detail: str) -> str:
    if state in ("error", "reconnecting") and detail:
        return detail[:1].upper() + detail[1:]
    return STATE_WORDS.get(state, state)


def play_pause_label(state: str) -> str:
    return "Pause" if state in FLOWING_STATES else "Play"


def play_pause_command(state: str) -> Command | None:
    """The command the play/pause button sends now; None when nothing is selected."""
    if state in FLOWING_STATES:
        return Pause()
    if state == "paused":
        return Resume()
    return None


def stepped_volume(volume: int, steps: int) -> int:
    """``steps`` taps of ``VOLUME_STEP`` from ``volume``, kept within 0..100."""
    return max(0, min(100, volume + steps * VOLUME_STEP))


@dataclass(frozen=True)
class BufferHealth:
    words: str  # "Buffer 0.12 s", "Buffer 12 of 30 s"
    fill: float  # 0..1 of the mode's target depth
    low: bool  # too little to ride out a hiccup


def buffer_health(depth_ms: int, mode: str, target_ms: int) -> BufferHealth:
    """How full the playout buffer is against its mode's target (``depth_ms`` < 0: unknown)."""
    if depth_ms < 0:
        return BufferHealth("Buffer —", 0.0, False)
    fill = min(1.0, depth_ms / target_ms) if target_ms > 0 else 0.0
    # Live stays near a ~120 ms target, so a third of it is thin; road counts in seconds and
    # two of them still cover a short underpass.
    low = depth_ms < min(target_ms / 3, 2000)
    if mode == "road":
        words = f"Buffer {depth_ms / 1000:.0f} of {target_ms / 1000:.0f} s"
    else:
        words = f"Buffer {depth_ms / 1000:.2f} s"
    return BufferHealth(words, fill, low)


def preset_to_store(
    slot: int, room: str, room_name: str, artist: str, album: str
) -> PresetSet | None:
    """What a long press on ``slot`` stores: the room playing, else the album (or artist) of
    the music playing; None when nothing plays."""
    if is_room(room):
        return PresetSet(slot=slot, kind="room", target=room, label=room_name or room)
    if room and album:
        return PresetSet(slot=slot, kind="album", target=album, label=album)
    if room and artist:
        return PresetSet(slot=slot, kind="artist", target=artist, label=artist)
    return None


def preset_labels(page: dict[str, Any], slots: int = 4) -> list[str]:
    """The four slots' labels from a ``browse presets`` page ("" for an empty slot)."""
    labels = [""] * slots
    for item in page.get("items", []):
        slot = item.get("s")
        if isinstance(slot, int) and 1 <= slot <= slots:
            labels[slot - 1] = str(item.get("n") or item.get("t") or "")
    return labels


def grouped_digits(digits: str) -> str:
    """``"123456"`` → ``"123 456"``: two groups of three are easier to compare at a glance."""
    return f"{digits[:3]} {digits[3:]}" if len(digits) == 6 else digits
