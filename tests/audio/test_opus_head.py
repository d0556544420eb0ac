"""OpusHead and OpusTags (RFC 7845 section 5): bytes, validation, tag lookup."""

from __future__ import annotations

import base64
import os
import struct

import pytest

from device.audio.opus_head import (
    OpusHead,
    OpusHeaderError,
    OpusTags,
    UnsupportedStream,
)


def _head_bytes(channels: int, family: int, table: bytes = b"", version: int = 1) -> bytes:
    return (
        struct.pack("<8sBBHIhB", b"OpusHead", version, channels, 312, 44100, -256, family) + table
    )


def test_head_round_trips_and_reads_the_rfc_layout() -> None:
    raw = _head_bytes(2, 0)
    head = OpusHead.from_bytes(raw)
    assert head == OpusHead(channels=2, pre_skip=312, input_sample_rate=44100, output_gain_q8=-256)
    assert head.output_gain_db == -1.0
    assert bytes(head) == raw


def test_head_ignores_fields_of_a_later_minor_version() -> None:
    head = OpusHead.from_bytes(_head_bytes(1, 0, version=2) + b"future fields")
    assert head.channels == 1 and head.version == 2


def test_trivial_family_1_stereo_is_accepted() -> None:
    raw = _head_bytes(2, 1, bytes([1, 1, 0, 1]))
    head = OpusHead.from_bytes(raw)
    assert head.channels == 2 and head.mapping_family == 1
    assert bytes(head) == raw


@pytest.mark.parametrize(
    ("raw", "family"),
    [
        (_head_bytes(2, 255, bytes([2, 0, 0, 1])), 255),
        (_head_bytes(6, 1, bytes([4, 2, 0, 4, 1, 2, 3, 5])), 1),  # 5.1 surround
        (_head_bytes(2, 1, bytes([2, 0, 0, 1])), 1),  # two mono streams
    ],
)
def test_unsupported_channel_mappings_are_refused_by_name(raw: bytes, family: int) -> None:
    with pytest.raises(
        UnsupportedStream, match=f"channel mapping family {family} is not supported"
    ):
        OpusHead.from_bytes(raw)


def test_incompatible_major_version_is_unsupported() -> None:
    with pytest.raises(UnsupportedStream, match="version 16"):
        OpusHead.from_bytes(_head_bytes(2, 0, version=16))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"OpusHead\x01\x02", "at least 19"),
        (b"OpusTags" + bytes(20), "not an OpusHead"),
        (_head_bytes(3, 0), "family 0 with 3 channels"),
        (_head_bytes(0, 0), "0 channels"),
        (_head_bytes(2, 1, bytes([1, 1])), "cut short"),
    ],
)
def test_malformed_head_raises_a_clear_error(raw: bytes, message: str) -> None:
    with pytest.raises(OpusHeaderError, match=message):
        OpusHead.from_bytes(raw)


def test_tags_round_trip_and_keys_are_case_insensitive() -> None:
    tags = OpusTags(
        "libopus 1.3.1", (("ARTIST", "Nina"), ("title", "Sinnerman"), ("Artist", "Trio"))
    )
    parsed = OpusTags.from_bytes(bytes(tags))
    assert parsed == tags
    assert parsed.get("Title") == "Sinnerman"
    assert parsed.get_all("artist") == ["Nina", "Trio"]
    assert parsed.get("ALBUM") is None
    assert parsed.as_dict() == {"ARTIST": "Nina, Trio", "TITLE": "Sinnerman"}


def test_tags_keep_utf8_and_values_with_equals_signs() -> None:
    tags = OpusTags.from_bytes(bytes(OpusTags("v", (("TITLE", "Ça=va ♪"),))))
    assert tags.get("title") == "Ça=va ♪"


def test_tags_drop_padding_but_keep_binary_data_flagged_by_its_first_bit() -> None:
    base = bytes(OpusTags("v", (("A", "1"),)))
    assert OpusTags.from_bytes(base + bytes(512)).extra == b""
    assert OpusTags.from_bytes(base + b"\x01binary").extra == b"\x01binary"


def test_megabyte_picture_parses_and_stays_out_of_the_text_tags() -> None:
    picture = base64.b64encode(os.urandom(768 * 1024)).decode()  # 1 MiB of base64
    tags = OpusTags("v", (("TITLE", "Cover"), ("METADATA_BLOCK_PICTURE", picture)))
    parsed = OpusTags.from_bytes(bytes(tags))
    assert parsed.get("metadata_block_picture") == picture
    assert parsed.as_dict() == {"TITLE": "Cover"}


@pytest.mark.parametrize("cut", [9, 14, 20, 30])
def test_truncated_tags_raise(cut: int) -> None:
    raw = bytes(OpusTags("vendor", (("TITLE", "abcdef"),)))
    with pytest.raises(OpusHeaderError, match="cut short"):
        OpusTags.from_bytes(raw[:cut])


def test_malformed_comments_are_skipped_not_fatal() -> None:
    raw = b"OpusTags" + struct.pack("<I", 1) + b"v" + struct.pack("<I", 2)
    raw += struct.pack("<I", 7) + b"NOEQUAL" + struct.pack("<I", 5) + b"K=val"
    assert OpusTags.from_bytes(raw).comments == (("K", "val"),)


def test_invalid_key_is_refused_on_construction() -> None:
    with pytest.raises(OpusHeaderError, match="invalid comment key"):
        OpusTags("v", (("A=B", "c"),))
