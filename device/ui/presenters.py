"""What the screens show, worked out from the engine's messages: pure functions, no window.

The App keeps the engine's raw state (from events) and asks these functions for the words,
numbers and commands; keeping them here lets them be read and tested without a window.
Words go through ``tr._`` (``device.ui.i18n``), so they come out in the driver's language.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from device.protocol import Command, Pause, PresetSet, Resume
from device.ui.i18n import N_, tr

VOLUME_STEP = 5  # percent per tap: 20 taps from silent to full
STREAM_SUFFIXES = (".opus", ".ogg", ".oga", ".mp3")
FLOWING_STATES = ("connecting", "buffering", "playing", "reconnecting")
STATE_WORDS = {
    "idle": N_("Nothing playing"),
    "connecting": N_("Connecting…"),
    "buffering": N_("Buffering…"),
    "playing": N_("Playing"),
    "paused": N_("Paused"),
    "reconnecting": N_("Reconnecting…"),
    "error": N_("Cannot play"),
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
    return folder or tr._("Music"), tr._("Local music")


def state_words(state: str, detail: str) -> str:
    if state in ("error", "reconnecting") and detail:
        return detail[:1].upper() + detail[1:]
    return tr._(STATE_WORDS[state]) if state in STATE_WORDS else state


def play_pause_label(state: str) -> str:
    return tr._("Pause") if state in FLOWING_STATES else tr._("Play")


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
        return BufferHealth(tr._("Buffer —"), 0.0, False)
    fill = min(1.0, depth_ms / target_ms) if target_ms > 0 else 0.0
    # Live stays near a ~120 ms target, so a third of it is thin; road counts in seconds and
    # two of them still cover a short underpass.
    low = depth_ms < min(target_ms / 3, 2000)
    if mode == "road":
        words = tr._("Buffer {depth:.0f} of {target:.0f} s").format(
            depth=depth_ms / 1000, target=target_ms / 1000
        )
    else:
        words = tr._("Buffer {depth:.2f} s").format(depth=depth_ms / 1000)
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


def grouped_digits(digits: str) -> str:
    """``"123456"`` → ``"123 456"``: two groups of three are easier to compare at a glance."""
    return f"{digits[:3]} {digits[3:]}" if len(digits) == 6 else digits


# --- list items -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One tile of a list: what it says, and what choosing it means (``kind``, ``target``;
    ``extra`` for what a command needs besides, e.g. an album's artist)."""

    title: str
    subtitle: str
    kind: str
    target: str
    extra: str = ""


def _count(number: int, one: str, many: str) -> str:
    return (tr._(one) if number == 1 else tr._(many)).format(n=number)


def room_item(room: dict[str, Any]) -> Item:
    """A room of a ``browse``/``search`` page: its name, listeners and what it plays."""
    listeners = int(room.get("l") or 0)
    parts = [_count(listeners, N_("{n} listening"), N_("{n} listening"))] if listeners else []
    song = " - ".join(part for part in (room.get("a"), room.get("t")) if part)
    if song:
        parts.append(song)
    elif room.get("g"):
        genres = room["g"]
        parts.append(", ".join(genres) if isinstance(genres, list) else str(genres))
    name = str(room.get("n") or room_display(str(room.get("u", "")))[0])
    return Item(name, " · ".join(parts), "room", str(room.get("u", "")))


def interest_item(entry: dict[str, Any], kind: str) -> Item:
    """A hashtag (``kind`` "tag") or genre of ``browse tags|genres``, with its live rooms."""
    rooms = int(entry.get("c") or 0)
    label = str(entry.get("n") or entry.get("k") or "")
    if kind == "tag" and not label.startswith("#"):
        label = "#" + label
    key = str(entry.get("k") or label).lstrip("#")
    # A trailing space: the whole word, not a prefix (the search box's last word is one).
    query = f"#{key} " if kind == "tag" else f"genre:{key} "
    return Item(label, _count(rooms, N_("{n} live room"), N_("{n} live rooms")), "search", query)


def track_item(track: dict[str, Any]) -> Item:
    subtitle = " · ".join(str(part) for part in (track.get("a"), track.get("b")) if part)
    title = str(track.get("t") or PurePosixPath(str(track.get("p", ""))).stem)
    return Item(title, subtitle, "track", str(track.get("p", "")))


def artist_item(artist: dict[str, Any]) -> Item:
    albums = int(artist.get("na") or 0)
    tracks = int(artist.get("nt") or 0)
    subtitle = ", ".join(
        (
            _count(albums, N_("{n} album"), N_("{n} albums")),
            _count(tracks, N_("{n} track"), N_("{n} tracks")),
        )
    )
    return Item(str(artist.get("ar") or ""), subtitle, "artist", str(artist.get("ar") or ""))


def album_item(album: dict[str, Any]) -> Item:
    tracks = int(album.get("nt") or 0)
    subtitle = " · ".join(
        part
        for part in (str(album.get("ar") or ""), _count(tracks, N_("{n} track"), N_("{n} tracks")))
        if part
    )
    name = str(album.get("al") or "")
    return Item(name, subtitle, "album", name, str(album.get("ar") or ""))


def recent_item(entry: dict[str, Any]) -> Item:
    """Something played recently (``browse recent``): a room or music to play again."""
    kind = str(entry.get("k") or "room")
    target = str(entry.get("t") or "")
    name = str(entry.get("n") or room_display(target)[0])
    where = room_display(target)[1] if kind == "room" else tr._("Local music")
    return Item(name, where, kind, target)


def phone_item(phone: dict[str, Any]) -> Item:
    address = str(phone.get("a") or "")
    return Item(str(phone.get("n") or address), address, "phone", address)
