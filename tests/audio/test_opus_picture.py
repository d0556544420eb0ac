"""Cover pictures in OpusTags (METADATA_BLOCK_PICTURE): chosen, decoded, bounded."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from device.audio.opus_head import (
    PICTURE_KEY,
    OpusTags,
    Picture,
    PictureError,
    comment_picture_type,
    cover_comment,
)
from device.audio.opus_stream import OpusStreamReader, StreamStarted
from tests.support.covers import make_jpeg, make_png

MAX = 4 << 20


def test_a_picture_block_round_trips() -> None:
    picture = Picture(3, "image/png", make_png(), description="Front — ünïcode")
    assert Picture.from_comment(picture.to_comment(), MAX) == picture
    assert comment_picture_type(picture.to_comment()) == 3


def test_the_front_cover_is_chosen_else_the_first() -> None:
    other = Picture(0, "image/png", b"\x89PNG other").to_comment()
    icon = Picture(1, "image/png", b"\x89PNG icon").to_comment()
    front = Picture(3, "image/jpeg", b"\xff\xd8\xff front").to_comment()
    assert cover_comment([other, icon, front]) == front
    assert cover_comment([icon, other]) == icon
    assert cover_comment([]) is None


def test_opusenc_picture_comes_back_byte_for_byte(tmp_path: Path) -> None:
    """A third-party encoder's picture block, found in the demuxed headers."""
    jpeg = make_jpeg(tmp_path / "cover.jpg")
    wav, opus = tmp_path / "tone.wav", tmp_path / "tone.opus"
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "48000",
            "-c",
            "2",
            "-b",
            "16",
            str(wav),
            "synth",
            "0.2",
            "sine",
            "440",
        ],
        check=True,
    )
    subprocess.run(
        ["opusenc", "--quiet", "--picture", f"3||Cover||{tmp_path / 'cover.jpg'}", wav, opus],
        check=True,
    )
    started = [
        e for e in OpusStreamReader().feed(opus.read_bytes()) if isinstance(e, StreamStarted)
    ]
    comment = cover_comment(started[0].opus_tags.get_all(PICTURE_KEY))
    picture = Picture.from_comment(comment, MAX)
    assert (picture.type, picture.mime, picture.data) == (3, "image/jpeg", jpeg)


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("not base64 at all!", "not base64"),
        (base64.b64encode(b"\0\0\0\x03\0\0").decode(), "cut short"),
        (
            base64.b64encode(Picture(3, "image/png", b"x" * 100).to_block()[:-50]).decode(),
            "data cut short",
        ),
        (
            base64.b64encode(b"\0\0\0\x03\xff\xff\xff\xff" + b"\0" * 40).decode(),
            "MIME type of 4294967295 bytes does not fit",
        ),
    ],
)
def test_corrupt_blocks_are_a_clear_picture_error(comment: str, reason: str) -> None:
    with pytest.raises(PictureError, match=reason):
        Picture.from_comment(comment, MAX)


def test_an_oversized_picture_is_refused_by_its_length_before_decoding() -> None:
    # 5 MiB of image in 6.7 million base64 characters: refused from len() alone.
    huge = "A" * (((5 << 20) + 2) // 3 * 4)
    with pytest.raises(PictureError, match=r"about 524288\d bytes \(at most 4194304\)"):
        Picture.from_comment(huge, MAX)


def test_the_announced_size_is_checked_against_the_limit() -> None:
    block = Picture(3, "image/png", b"\x89PNG" + bytes(2000)).to_comment()
    with pytest.raises(PictureError, match="2004 bytes"):
        Picture.from_comment(block, 1000)


def test_pictures_stay_out_of_the_text_tags() -> None:
    tags = OpusTags(
        "v", (("HOST", "Mara"), (PICTURE_KEY, Picture(3, "image/png", b"p").to_comment()))
    )
    assert OpusTags.from_bytes(bytes(tags)).as_dict() == {"HOST": "Mara"}
