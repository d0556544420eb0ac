"""The sample library the scanner tests use: real files in every format, tagged as messily
as real collections are, plus files a scan must leave out; and what the catalog should
hold once it is scanned."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.music_files import make_track

# (path under the root, format, tags as written); tag names as in music_files
LIBRARY: tuple[tuple[str, str, dict[str, str | list[str]]], ...] = (
    (
        "Beyoncé/I Am/03 Halo.opus",
        "opus",
        {"title": "Halo", "artist": "Beyoncé", "album": "I Am... Sasha Fierce",
         "genre": "Pop", "tracknumber": "3/12", "discnumber": "1/2"},
    ),
    (
        "Beyoncé/I Am/01 If I Were a Boy.mp3",
        "mp3",  # the artist twice, as some taggers leave it
        {"title": "If I Were a Boy", "artist": ["Beyoncé", "Beyoncé"],
         "album": "I Am... Sasha Fierce", "genre": "Pop", "tracknumber": "1/12",
         "discnumber": "1"},
    ),
    (
        "Beyoncé/I Am/01 Disappear.flac",
        "flac",
        {"title": "Disappear", "artist": "Beyoncé", "album": "I Am... Sasha Fierce",
         "tracknumber": "01", "discnumber": "2/2"},
    ),
    (
        "Sigur Rós/Takk/04 Hoppípolla.flac",
        "flac",
        {"title": "Hoppípolla", "artist": "Sigur Rós", "album": "Takk...",
         "genre": "Post-Rock", "tracknumber": "4/11"},
    ),
    (
        "Sigur Rós/Takk/02 Glósóli.ogg",
        "vorbis",  # upper-case comment names, as foobar2000 writes them
        {"TITLE": "Glósóli", "ARTIST": "Sigur Rós", "ALBUM": "Takk...", "TRACKNUMBER": "2"},
    ),
    (
        "Collabs/Crazy in Love.oga",
        "vorbis",
        {"title": "Crazy in Love", "artist": ["Beyoncé", "Jay-Z"],
         "album": "Dangerously in Love", "genre": "R&B", "tracknumber": "1"},
    ),
    (
        "Daft Punk/Da Funk.wav",
        "wav",
        {"title": "Da Funk", "artist": "Daft Punk", "album": "Homework", "genre": "House",
         "tracknumber": "7/16"},
    ),
    ("untagged/field recording.wav", "wav", {}),
    ("untagged/voice memo.mp3", "mp3", {}),
)  # fmt: skip
# What the catalog should hold for LIBRARY: (title, artist, album, genre, track, disc, format)
EXPECTED = {
    "Beyoncé/I Am/03 Halo.opus": (
        "Halo", "Beyoncé", "I Am... Sasha Fierce", "Pop", 3, 1, "opus"),
    "Beyoncé/I Am/01 If I Were a Boy.mp3": (
        "If I Were a Boy", "Beyoncé", "I Am... Sasha Fierce", "Pop", 1, 1, "mp3"),
    "Beyoncé/I Am/01 Disappear.flac": (
        "Disappear", "Beyoncé", "I Am... Sasha Fierce", "", 1, 2, "flac"),
    "Sigur Rós/Takk/04 Hoppípolla.flac": (
        "Hoppípolla", "Sigur Rós", "Takk...", "Post-Rock", 4, 0, "flac"),
    "Sigur Rós/Takk/02 Glósóli.ogg": ("Glósóli", "Sigur Rós", "Takk...", "", 2, 0, "vorbis"),
    "Collabs/Crazy in Love.oga": (
        "Crazy in Love", "Beyoncé, Jay-Z", "Dangerously in Love", "R&B", 1, 0, "vorbis"),
    "Daft Punk/Da Funk.wav": ("Da Funk", "Daft Punk", "Homework", "House", 7, 0, "wav"),
    "untagged/field recording.wav": ("field recording", "", "", "", 0, 0, "wav"),
    "untagged/voice memo.mp3": ("voice memo", "", "", "", 0, 0, "mp3"),
}  # fmt: skip
# Files a scan must not catalog: hidden, system folders, not audio by name
IGNORED = (
    ".hidden/secret.opus",
    "Beyoncé/I Am/._03 Halo.opus",  # macOS resource fork beside the real file
    "$RECYCLE.BIN/S-1-5-21/deleted.mp3",
    "Beyoncé/I Am/cover.jpg",
    "notes.txt",
)


def build_library(folder: Path) -> None:
    """Encode the sample library into ``folder`` (about a second of ffmpeg)."""
    for number, (relative, fmt, tags) in enumerate(LIBRARY):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        make_track(path, fmt, seconds=0.5, freq_hz=220.0 + 110 * number, tags=tags)
    real_audio = folder / LIBRARY[0][0]
    for relative in IGNORED:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_audio, path)  # real audio: only the name says "skip me"
