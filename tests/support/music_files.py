"""Real audio files for tests: a sine tone encoded by ffmpeg, then tagged by mutagen.

Tags are written after encoding, by the same library players and taggers use, so a test can
make them as messy as real collections are: absent, Unicode (``Beyoncé``, ``Sigur Rós``),
several or repeated artists, track numbers as ``"3/12"``. Tag names are Vorbis comment names
(``title``, ``artist``, ``album``, ``genre``, ``tracknumber``, ``discnumber``); a value may be
a string or a list of strings (several values in one tag). WAV files carry a RIFF ``LIST
INFO`` chunk (one value per tag), the way Windows tools tag them, or no tags at all.

Each call runs one ffmpeg (about 0.1 s for half a second of audio); nothing is cached here.
"""

from __future__ import annotations

import os
import random
import struct
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import mutagen
from mutagen.easyid3 import EasyID3

__all__ = ["FORMATS", "SUFFIXES", "make_garbage", "make_track"]

FORMATS = ("opus", "vorbis", "flac", "mp3", "wav")
SUFFIXES = {"opus": ".opus", "vorbis": ".ogg", "flac": ".flac", "mp3": ".mp3", "wav": ".wav"}
TagValue = str | Sequence[str]

# format → (ffmpeg muxer, encoder options)
_ENCODE = {
    "opus": ("opus", ["-c:a", "libopus", "-ar", "48000"]),  # Opus runs at 48 kHz only
    "vorbis": ("ogg", ["-c:a", "libvorbis"]),
    "flac": ("flac", ["-c:a", "flac"]),
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-id3v2_version", "0"]),  # no ID3 unless tagged
    "wav": ("wav", ["-c:a", "pcm_s16le"]),
}
# Vorbis comment name → RIFF INFO chunk id (what Windows Explorer and ffmpeg write)
_RIFF_INFO_IDS = {
    "title": b"INAM",
    "artist": b"IART",
    "album": b"IPRD",
    "genre": b"IGNR",
    "tracknumber": b"ITRK",
}


def make_track(
    path: str | Path,
    fmt: str,
    *,
    seconds: float,
    freq_hz: float,
    tags: Mapping[str, TagValue],
    sample_rate: int = 44100,
    channels: int = 2,
) -> Path:
    """Write a ``seconds`` long sine tone at ``freq_hz`` as ``fmt`` to ``path``, tagged with
    exactly ``tags`` (an empty mapping: no tags at all). Returns the path."""
    if fmt not in _ENCODE:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    path = Path(path)
    muxer, options = _ENCODE[fmt]
    tone = f"sine=frequency={freq_hz}:sample_rate={sample_rate}:duration={seconds}"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", tone]
    command += ["-ac", str(channels), *options, "-map_metadata", "-1"]
    command += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", muxer, str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    if fmt == "wav":
        _write_riff_info(path, tags)
    elif fmt == "mp3":
        _write_id3(path, tags)
    else:
        _write_vorbis_comments(path, tags)
    return path


def make_garbage(path: str | Path, size: int = 4096, seed: int = 7) -> Path:
    """Random bytes under an audio file's name (a half-copied or corrupt file)."""
    path = Path(path)
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def _values(value: TagValue) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _write_vorbis_comments(path: Path, tags: Mapping[str, TagValue]) -> None:
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()  # drop ffmpeg's "encoder" comment: tags are only what the test says
    for name, value in tags.items():
        audio.tags[name] = _values(value)
    audio.save()


def _write_id3(path: Path, tags: Mapping[str, TagValue]) -> None:
    if not tags:
        return
    id3 = EasyID3()
    for name, value in tags.items():
        id3[name] = _values(value)  # several values: one ID3v2.4 frame, NUL-separated
    id3.save(path)


def _write_riff_info(path: Path, tags: Mapping[str, TagValue]) -> None:
    """Append a ``LIST INFO`` chunk (UTF-8 values, NUL-terminated, even-padded) and grow
    the RIFF size to match."""
    if not tags:
        return
    body = b"INFO"
    for name, value in tags.items():
        values = _values(value)
        if name not in _RIFF_INFO_IDS or len(values) != 1:
            raise ValueError(f"RIFF INFO holds one value per tag of {sorted(_RIFF_INFO_IDS)}")
        data = values[0].encode() + b"\0"
        body += _RIFF_INFO_IDS[name] + struct.pack("<I", len(data)) + data + b"\0" * (len(data) % 2)
    chunk = b"LIST" + struct.pack("<I", len(body)) + body
    with open(path, "r+b") as file:
        file.seek(0, os.SEEK_END)
        file.write(chunk)
        riff_size = file.tell() - 8
        file.seek(4)
        file.write(struct.pack("<I", riff_size))
