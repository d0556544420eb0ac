"""Covers embedded in real music files, the way taggers put them there, read back whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from device.audio.opus_head import Picture
from device.sources.library.tags import TagError, read_cover_picture
from tests.support.covers import (
    FFMPEG,
    OTHER,
    embed_apic,
    embed_comment_picture,
    embed_flac_pictures,
    embed_mp4_cover,
    front_cover,
    make_jpeg,
    make_png,
)
from tests.support.music_files import make_track

MAX = 4 << 20


def _track(tmp_path: Path, fmt: str, suffix: str) -> Path:
    return make_track(tmp_path / f"t{suffix}", fmt, seconds=0.3, freq_hz=440.0, tags={"title": "T"})


def test_flac_front_cover_wins_over_an_earlier_other_picture(tmp_path: Path) -> None:
    jpeg = make_jpeg(tmp_path / "c.jpg")
    path = _track(tmp_path, "flac", ".flac")
    embed_flac_pictures(path, [Picture(OTHER, "image/png", make_png()), front_cover(jpeg)])
    picture = read_cover_picture(str(path), MAX)
    assert picture is not None
    assert (picture.type, picture.mime, picture.data) == (3, "image/jpeg", jpeg)


def test_flac_without_a_front_cover_gives_its_first_picture(tmp_path: Path) -> None:
    png = make_png(1)
    path = _track(tmp_path, "flac", ".flac")
    embed_flac_pictures(path, [Picture(OTHER, "image/png", png), Picture(4, "image/png", b"x")])
    assert read_cover_picture(str(path), MAX).data == png


def test_mp3_apic(tmp_path: Path) -> None:
    jpeg = make_jpeg(tmp_path / "c.jpg", "0xaa2200")
    path = _track(tmp_path, "mp3", ".mp3")
    embed_apic(path, front_cover(jpeg))
    assert read_cover_picture(str(path), MAX).data == jpeg


@pytest.mark.parametrize(("fmt", "suffix"), [("opus", ".opus"), ("vorbis", ".ogg")])
def test_ogg_metadata_block_picture(tmp_path: Path, fmt: str, suffix: str) -> None:
    png = make_png(2)
    path = _track(tmp_path, fmt, suffix)
    embed_comment_picture(path, front_cover(png, "image/png").to_comment())
    picture = read_cover_picture(str(path), MAX)
    assert (picture.mime, picture.data) == ("image/png", png)


def test_mp4_covr(tmp_path: Path) -> None:
    png = make_png(3)
    path = tmp_path / "t.m4a"
    subprocess.run(
        [*FFMPEG, "-i", "sine=frequency=440:duration=0.3", "-c:a", "aac", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    embed_mp4_cover(path, png, png=True)
    picture = read_cover_picture(str(path), MAX)
    assert (picture.mime, picture.data) == ("image/png", png)


def test_a_file_without_a_picture_has_none(tmp_path: Path) -> None:
    assert read_cover_picture(str(_track(tmp_path, "flac", ".flac")), MAX) is None
    assert read_cover_picture(str(_track(tmp_path, "mp3", ".mp3")), MAX) is None


def test_a_corrupt_picture_comment_is_a_clear_tag_error(tmp_path: Path) -> None:
    whole = front_cover(make_png(), "image/png").to_comment()
    path = _track(tmp_path, "opus", ".opus")
    embed_comment_picture(path, whole[: len(whole) // 2 // 4 * 4])  # valid base64, cut short
    with pytest.raises(TagError, match=r"corrupt cover picture.*cut short"):
        read_cover_picture(str(path), MAX)


def test_a_picture_over_the_limit_is_refused(tmp_path: Path) -> None:
    jpeg = make_jpeg(tmp_path / "c.jpg")
    path = _track(tmp_path, "mp3", ".mp3")
    embed_apic(path, front_cover(jpeg))
    with pytest.raises(TagError, match=f"{len(jpeg)} bytes"):
        read_cover_picture(str(path), len(jpeg) - 1)
