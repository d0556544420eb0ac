"""The art cache on disk: one file per picture, named by its hash, whole or not at all."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

import pytest

from device.audio.opus_head import Picture
from device.core.art_cache import ArtCache
from device.durable_file import temporary_name
from tests.support.covers import front_cover, make_jpeg, make_png


def _name(data: bytes, suffix: str) -> str:
    return hashlib.sha256(data).hexdigest()[:16] + suffix


def test_a_picture_is_stored_once_under_its_hash(tmp_path: Path) -> None:
    jpeg, png = make_jpeg(tmp_path / "c.jpg"), make_png()
    cache = ArtCache(tmp_path / "art")
    assert cache.store(front_cover(jpeg), "song") == _name(jpeg, ".jpg")
    assert cache.store(front_cover(png, "image/png"), "song") == _name(png, ".png")
    assert cache.store(front_cover(jpeg), "again") == _name(jpeg, ".jpg")
    assert sorted(p.name for p in (tmp_path / "art").iterdir()) == sorted(
        [_name(jpeg, ".jpg"), _name(png, ".png")]
    )  # no temporary files left behind
    assert (tmp_path / "art" / _name(jpeg, ".jpg")).read_bytes() == jpeg


def test_the_suffix_follows_the_bytes_not_the_label(tmp_path: Path) -> None:
    png = make_png()
    assert ArtCache(tmp_path).store(front_cover(png, "image/jpeg"), "x").endswith(".png")


@pytest.mark.parametrize(
    "picture",
    [
        Picture(3, "image/gif", b"GIF89a" + bytes(100)),  # a format the screen will not show
        Picture(3, "image/png", b"<html>not a picture</html>"),  # labelled PNG, is not
        Picture(3, "text/plain", make_png()),  # the bytes are fine, the label is not
    ],
    ids=["gif", "fake-png", "wrong-mime"],
)
def test_anything_but_jpeg_or_png_is_refused_with_a_log_line(
    tmp_path: Path, picture: Picture, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="device.core.art_cache"):
        assert ArtCache(tmp_path / "art").store(picture, "Night Bus") == ""
    assert not (tmp_path / "art").exists()
    assert "cover of Night Bus ignored" in caplog.text


def test_a_picture_over_the_limit_is_refused(tmp_path: Path, caplog) -> None:
    png = make_png()
    with caplog.at_level(logging.WARNING):
        assert (
            ArtCache(tmp_path, max_bytes=len(png) - 1).store(front_cover(png, "image/png"), "s")
            == ""
        )
    assert f"{len(png)} bytes (at most {len(png) - 1})" in caplog.text
    assert ArtCache(tmp_path, max_bytes=len(png)).store(front_cover(png, "image/png"), "s")


def test_the_least_recently_used_pictures_go_beyond_the_limit(tmp_path: Path) -> None:
    cache = ArtCache(tmp_path, max_files=3)
    pictures = [front_cover(b"\xff\xd8\xff" + bytes([i]) * 10) for i in range(4)]
    names = []
    for age, picture in enumerate(pictures[:3]):
        names.append(cache.store(picture, "s"))
        stamp = time.time() - 1000 + age * 10
        os.utime(tmp_path / names[-1], (stamp, stamp))
    cache.store(pictures[0], "s")  # shown again: now the most recent
    (tmp_path / "notes.txt").write_text("not the cache's")
    names.append(cache.store(pictures[3], "s"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [names[0], names[2], names[3], "notes.txt"]
    )


def test_a_stale_temporary_file_from_a_power_cut_is_cleared(tmp_path: Path) -> None:
    stale = tmp_path / temporary_name("0123456789abcdef.jpg")
    stale.write_bytes(b"half a pict")
    os.utime(stale, (time.time() - 3600,) * 2)
    fresh = tmp_path / temporary_name("fedcba9876543210.png")  # being written right now
    fresh.write_bytes(b"being written")
    ArtCache(tmp_path).store(front_cover(b"\xff\xd8\xff\xe0 a jpeg"), "s")
    assert not stale.exists() and fresh.exists()


def test_an_unwritable_directory_means_no_art_not_an_exception(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "art"
    blocker.write_text("a file where the directory should be")
    with caplog.at_level(logging.WARNING):
        assert ArtCache(blocker).store(front_cover(b"\xff\xd8\xff jpeg"), "Night Bus") == ""
    assert "cover of Night Bus not kept" in caplog.text
