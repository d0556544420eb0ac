"""What a local music file says about itself: tags, duration, format and cover (via mutagen).

The only module that imports mutagen. Reads Ogg Opus, Ogg Vorbis, FLAC (also in Ogg), MP3
and WAV, whatever their extension says: the format comes from the bytes. Tags arrive as
people left them, so they are tidied the same way for every format: values stripped and
NFC-normalised (a macOS-tagged ``Beyoncé`` groups with a Windows-tagged one), repeated
values dropped, several values joined with ", ", a missing tag "" (the title falls back to
the file name), ``"3/12"`` read as track 3. The cover comes from FLAC pictures, ID3 APIC
frames, Vorbis/Opus ``METADATA_BLOCK_PICTURE`` comments or MP4 ``covr`` atoms: the front
cover when the file says which one that is, else the first picture.

Blocking file I/O: call from a worker thread.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import mutagen
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from device.audio.opus_head import (
    FRONT_COVER,
    PICTURE_KEY,
    Picture,
    PictureError,
    cover_comment,
    preferred_picture,
)
from device.sources.library.riff_info import read_riff_info

__all__ = ["AUDIO_SUFFIXES", "TagError", "TrackTags", "read_cover_picture", "read_track_tags"]

AUDIO_SUFFIXES = frozenset((".opus", ".ogg", ".oga", ".flac", ".mp3", ".wav"))
MAX_TRACK_NUMBER = 9999  # beyond this a "track number" is junk (a date, a catalogue number)

_KINDS: dict[type, str] = {
    OggOpus: "opus",
    OggVorbis: "vorbis",
    OggFLAC: "flac",
    FLAC: "flac",
    MP3: "mp3",
    WAVE: "wav",
}
_PICTURE_KINDS = (*_KINDS, MP4)  # covers also of files the player cannot play (yet)
_MP4_IMAGE_TYPES = {MP4Cover.FORMAT_JPEG: "image/jpeg", MP4Cover.FORMAT_PNG: "image/png"}
_TAG_NAMES = ("title", "artist", "album", "genre", "tracknumber", "discnumber")
_ID3_FRAMES = {
    "title": "TIT2",
    "artist": "TPE1",
    "album": "TALB",
    "genre": "TCON",
    "tracknumber": "TRCK",
    "discnumber": "TPOS",
}
_RIFF_INFO_IDS = {
    "title": ("INAM",),
    "artist": ("IART",),
    "album": ("IPRD",),
    "genre": ("IGNR",),
    "tracknumber": ("ITRK", "IPRT"),
}
_LEADING_NUMBER = re.compile(r"\s*(\d+)")


class TagError(Exception):
    """A file that cannot be read as music: not audio, corrupt, truncated, unreadable."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class TrackTags:
    """A file's tags, tidied; numbers are 0 and texts "" when the file does not say."""

    title: str
    artist: str
    album: str
    genre: str
    duration_s: float
    track_number: int
    disc_number: int
    format: str  # opus, vorbis, flac, mp3, wav


def read_track_tags(path: str) -> TrackTags:
    """Read ``path``'s tags; raises :class:`TagError` (with the reason) for anything that is
    not a readable file of the five formats."""
    audio = _open(path)
    kind = _KINDS[type(audio)]
    values = _tag_values(audio, kind, path)
    title = _joined(values.get("title", []))
    return TrackTags(
        title=title or os.path.splitext(os.path.basename(path))[0],
        artist=_joined(values.get("artist", [])),
        album=_joined(values.get("album", [])),
        genre=_joined(values.get("genre", [])),
        duration_s=_duration(audio.info.length),
        track_number=_number(values.get("tracknumber", [])),
        disc_number=_number(values.get("discnumber", [])),
        format=kind,
    )


def read_cover_picture(path: str, max_bytes: int) -> Picture | None:
    """The picture embedded in ``path`` (see the module doc), None when it has none. Raises
    :class:`TagError` for a file that cannot be read or a picture that is corrupt or bigger
    than ``max_bytes``."""
    audio = _open(path, _PICTURE_KINDS)
    try:
        picture = preferred_picture(_pictures(audio, max_bytes), lambda p: p.type)
    except PictureError as exc:
        raise TagError(path, f"corrupt cover picture: {exc}") from None
    if picture is not None and len(picture.data) > max_bytes:
        raise TagError(path, f"the cover is {len(picture.data)} bytes (at most {max_bytes})")
    return picture


def _pictures(audio: Any, max_bytes: int) -> list[Picture]:
    tags = audio.tags
    if isinstance(audio, MP4):
        covers = tags.get("covr", []) if tags is not None else []
        return [
            Picture(FRONT_COVER, _MP4_IMAGE_TYPES.get(c.imageformat, ""), bytes(c)) for c in covers
        ]
    if isinstance(tags, ID3):  # MP3, and WAV with an ID3 chunk
        return [Picture(int(frame.type), frame.mime, frame.data) for frame in tags.getall("APIC")]
    pictures = [Picture(p.type, p.mime, p.data) for p in getattr(audio, "pictures", [])]  # FLAC
    if tags is None or any(p.type == FRONT_COVER for p in pictures):
        return pictures
    # Vorbis comments (Ogg Opus, Ogg Vorbis, FLAC): base64 blocks, only the chosen one decoded.
    comment = cover_comment([str(value) for value in tags.get(PICTURE_KEY.lower(), [])])
    return [*pictures, Picture.from_comment(comment, max_bytes)] if comment else pictures


def _open(path: str, kinds: tuple[type, ...] = tuple(_KINDS)) -> Any:
    try:
        audio = mutagen.File(path, options=list(kinds))
    except Exception as error:  # mutagen on hostile bytes raises more than MutagenError
        cause = error if isinstance(error, OSError) else error.__cause__
        if isinstance(cause, OSError):  # mutagen wraps I/O errors in its own
            raise TagError(path, f"cannot read the file: {cause.strerror or cause}") from error
        raise TagError(path, f"not a readable audio file ({_describe(error)})") from error
    if audio is None:
        raise TagError(path, "not an audio file of a known format (opus, vorbis, flac, mp3, wav)")
    if audio.info is None:
        raise TagError(path, "no audio stream found")
    return audio


def _tag_values(audio: Any, kind: str, path: str) -> dict[str, list[str]]:
    """Every value of each tag, by Vorbis comment name (``tracknumber``…)."""
    if kind == "mp3":
        return _id3_values(audio.tags)
    if kind == "wav":  # ID3 when the file has it, RIFF INFO for what it lacks
        id3 = {name: texts for name, texts in _id3_values(audio.tags).items() if texts}
        return {**_riff_info_values(path), **id3}
    comments = audio.tags or {}  # Vorbis comments: names are case-insensitive
    return {name: list(comments.get(name, [])) for name in _TAG_NAMES}


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _id3_values(tags: ID3 | None) -> dict[str, list[str]]:
    if tags is None:
        return {}
    values: dict[str, list[str]] = {}
    for name, frame_id in _ID3_FRAMES.items():
        texts: list[str] = []
        for frame in tags.getall(frame_id):
            # TCON's genres turns ID3v1 codes ("(17)") into names ("Rock").
            texts += frame.genres if frame_id == "TCON" else [str(text) for text in frame.text]
        values[name] = texts
    return values


def _riff_info_values(path: str) -> dict[str, list[str]]:
    try:
        with open(path, "rb") as file:
            entries = read_riff_info(file)
    except OSError:
        return {}  # mutagen has just read the audio; the tags are a bonus
    return {
        name: [entries[chunk_id] for chunk_id in chunk_ids if chunk_id in entries][:1]
        for name, chunk_ids in _RIFF_INFO_IDS.items()
    }


def _joined(values: Iterable[str]) -> str:
    """Distinct, non-blank values in their order, joined with ", "."""
    tidy = (unicodedata.normalize("NFC", value.replace("\0", " ")).strip() for value in values)
    return ", ".join(dict.fromkeys(value for value in tidy if value))


def _number(values: list[str]) -> int:
    """The leading number of the first value (``"3/12"`` → 3); 0 when there is none."""
    match = _LEADING_NUMBER.match(values[0]) if values else None
    if match is None or len(match.group(1)) > len(str(MAX_TRACK_NUMBER)):
        return 0  # also spares int() a hostile run of thousands of digits
    number = int(match.group(1))
    return number if number <= MAX_TRACK_NUMBER else 0


def _duration(length: object) -> float:
    if isinstance(length, (int, float)) and math.isfinite(length) and length > 0:
        return float(length)
    return 0.0
