"""Reading tags of real files: every format, and the ways tags go wrong in real libraries."""

from __future__ import annotations

import io
import shutil
import struct
import unicodedata
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TCON, TPE1
from mutagen.wave import WAVE

from device.sources.library import TagError, read_track_tags
from device.sources.library.riff_info import read_riff_info
from tests.support.music_files import FORMATS, SUFFIXES, make_garbage, make_track

FULL_TAGS = {
    "title": "Halo",
    "artist": "Beyoncé",
    "album": "I Am... Sasha Fierce",
    "genre": "Pop",
    "tracknumber": "3/12",
    "discnumber": "2/2",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_title_artist_album_genre_numbers_and_duration(
    fmt: str, tmp_path: Path
) -> None:
    tags = {k: v for k, v in FULL_TAGS.items() if not (fmt == "wav" and k == "discnumber")}
    path = make_track(tmp_path / f"x{SUFFIXES[fmt]}", fmt, seconds=1.0, freq_hz=440.0, tags=tags)
    read = read_track_tags(str(path))
    assert (read.title, read.artist, read.album, read.genre) == (
        "Halo", "Beyoncé", "I Am... Sasha Fierce", "Pop"
    )  # fmt: skip
    assert (read.track_number, read.disc_number) == (3, 0 if fmt == "wav" else 2)
    assert read.format == fmt
    assert read.duration_s == pytest.approx(1.0, abs=0.06)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_without_tags_is_named_after_itself(fmt: str, tmp_path: Path) -> None:
    path = make_track(
        tmp_path / f"Track 07 - Ünknown{SUFFIXES[fmt]}", fmt, seconds=0.3, freq_hz=330.0, tags={}
    )
    read = read_track_tags(str(path))
    assert read.title == "Track 07 - Ünknown"
    assert (read.artist, read.album, read.genre, read.track_number, read.disc_number) == (
        "", "", "", 0, 0
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["opus", "flac", "mp3"])
def test_several_and_repeated_artists_are_joined_once_each(fmt: str, tmp_path: Path) -> None:
    artists = ["Beyoncé", " Jay-Z ", "Beyoncé", ""]
    path = make_track(
        tmp_path / f"x{SUFFIXES[fmt]}", fmt, seconds=0.3, freq_hz=330.0,
        tags={"artist": artists, "genre": ["Pop", "R&B"]},
    )  # fmt: skip
    read = read_track_tags(str(path))
    assert (read.artist, read.genre) == ("Beyoncé, Jay-Z", "Pop, R&B")


def test_decomposed_unicode_is_stored_composed(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Sigur Rós")  # as macOS writes it
    path = make_track(
        tmp_path / "x.flac", "flac", seconds=0.3, freq_hz=330.0, tags={"artist": decomposed}
    )
    assert read_track_tags(str(path)).artist == "Sigur Rós" != decomposed


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("3/12", 3),
        ("03", 3),
        (" 7 ", 7),
        ("A1", 0),
        ("", 0),
        ("99999", 0),
        ("12 of 14", 12),
        pytest.param("1" * 5000, 0, id="5000-digits"),
    ],
)
def test_track_numbers(written: str, number: int, tmp_path: Path) -> None:
    path = make_track(
        tmp_path / "x.opus", "opus", seconds=0.2, freq_hz=330.0, tags={"tracknumber": written}
    )
    assert read_track_tags(str(path)).track_number == number


def test_the_format_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    opus = make_track(tmp_path / "x.opus", "opus", seconds=0.3, freq_hz=330.0, tags={})
    misnamed = tmp_path / "really opus.ogg"
    shutil.copyfile(opus, misnamed)
    assert read_track_tags(str(misnamed)).format == "opus"


def test_an_id3v1_genre_code_becomes_its_name(tmp_path: Path) -> None:
    path = make_track(tmp_path / "x.mp3", "mp3", seconds=0.3, freq_hz=330.0, tags={})
    id3 = ID3()
    id3.add(TCON(encoding=3, text=["(17)"]))
    id3.add(TPE1(encoding=3, text=["Motörhead"]))
    id3.save(path)
    read = read_track_tags(str(path))
    assert (read.genre, read.artist) == ("Rock", "Motörhead")


def test_a_wav_with_id3_and_riff_info_prefers_id3(tmp_path: Path) -> None:
    path = make_track(
        tmp_path / "x.wav", "wav", seconds=0.3, freq_hz=330.0,
        tags={"title": "Info Title", "artist": "Info Artist", "album": "Info Album"},
    )  # fmt: skip
    wave = WAVE(path)
    wave.add_tags()
    wave.tags.add(TPE1(encoding=3, text=["ID3 Artist"]))
    wave.save()
    read = read_track_tags(str(path))
    assert (read.title, read.artist, read.album) == ("Info Title", "ID3 Artist", "Info Album")


def test_riff_info_in_latin1_and_a_truncated_list_are_read_without_error() -> None:
    entries = b"INAM" + struct.pack("<I", 5) + "Café".encode("latin-1") + b"\0\0"
    entries += b"IART" + struct.pack("<I", 40) + b"Cut sh"  # claims more than there is
    info = b"LIST" + struct.pack("<I", 4 + len(entries)) + b"INFO" + entries
    data = b"data" + struct.pack("<I", 3) + b"abc\0"  # odd size: padded
    body = b"WAVE" + data + info
    wav = b"RIFF" + struct.pack("<I", len(body)) + body
    assert read_riff_info(io.BytesIO(wav)) == {"INAM": "Café", "IART": "Cut sh"}
    assert read_riff_info(io.BytesIO(wav[:30])) == {}
    assert read_riff_info(io.BytesIO(b"not a wav at all")) == {}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("random.mp3", "can't sync to MPEG frame"),
        ("random.flac", "not a valid FLAC file"),
        ("random.opus", "not an audio file of a known format"),
        ("random.wav", "not a readable audio file"),
    ],
)
def test_a_file_that_is_not_audio_raises_tag_error_with_path_and_reason(
    name: str, reason: str, tmp_path: Path
) -> None:
    path = str(make_garbage(tmp_path / name))
    with pytest.raises(TagError) as raised:
        read_track_tags(path)
    assert raised.value.path == path
    assert reason in raised.value.reason
    assert str(raised.value).startswith(f"{path}: ")


def test_a_missing_file_raises_tag_error(tmp_path: Path) -> None:
    with pytest.raises(TagError, match="cannot read the file: No such file or directory"):
        read_track_tags(str(tmp_path / "gone.mp3"))
