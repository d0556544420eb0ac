"""The two Ogg Opus header packets (RFC 7845 section 5): OpusHead and OpusTags, and the
cover pictures OpusTags may carry (``METADATA_BLOCK_PICTURE``: a base64 FLAC picture block)."""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

HEAD_MAGIC = b"OpusHead"
TAGS_MAGIC = b"OpusTags"
PICTURE_KEY = "METADATA_BLOCK_PICTURE"

_HEAD = struct.Struct("<8sBBHIhB")  # magic, version, channels, pre-skip, rate, gain, family
_MAPPING = struct.Struct("<BB")  # stream count, coupled count; the mapping table follows
_U32 = struct.Struct("<I")
_BE_U32 = struct.Struct(">I")
FRONT_COVER = 3  # FLAC/ID3 picture type "Cover (front)"
PICTURE_TEXT_BYTES = 64 * 1024  # what a picture block may hold beside its image (MIME, text)
_T = TypeVar("_T")


class UnsupportedStream(ValueError):
    """The input is not something this unit can play (not Ogg, not Opus, unsupported layout)."""


class OpusHeaderError(UnsupportedStream):
    """An OpusHead or OpusTags packet that breaks RFC 7845."""


@dataclass(frozen=True, slots=True)
class OpusHead:
    """Identification header. Only mono and stereo layouts are supported: mapping family 0, or
    family 1 used trivially (one stream, channels in order), since the car output is stereo."""

    channels: int
    pre_skip: int
    input_sample_rate: int = 0  # informational only; 0 = unknown. Opus always decodes at 48 kHz
    output_gain_q8: int = 0  # dB in Q7.8, to apply on playback
    mapping_family: int = 0
    stream_count: int = 0  # this and the next two exist only for mapping families other than 0
    coupled_count: int = 0
    channel_mapping: bytes = b""
    version: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.version <= 255 or self.version >> 4:
            raise UnsupportedStream(
                f"OpusHead version {self.version} is not supported (major version 0 only)"
            )
        if not 1 <= self.channels <= 255:
            raise OpusHeaderError(f"OpusHead with {self.channels} channels")
        if not 0 <= self.pre_skip <= 0xFFFF:
            raise OpusHeaderError(f"pre-skip {self.pre_skip} does not fit 16 bits")
        if not 0 <= self.input_sample_rate < (1 << 32):
            raise OpusHeaderError(f"input sample rate {self.input_sample_rate} out of range")
        if not -32768 <= self.output_gain_q8 <= 32767:
            raise OpusHeaderError(f"output gain {self.output_gain_q8} does not fit Q7.8")
        if self.mapping_family == 0:
            self._check_family_0()
        elif self.mapping_family == 1 and self._is_trivial_family_1():
            pass
        else:
            raise UnsupportedStream(
                f"channel mapping family {self.mapping_family} is not supported "
                f"({self.channels} channels, {self.stream_count} streams): "
                "only mono and stereo Opus streams can be played"
            )

    def _check_family_0(self) -> None:
        if self.channels > 2:
            raise OpusHeaderError(f"mapping family 0 with {self.channels} channels (max 2)")
        if self.stream_count or self.coupled_count or self.channel_mapping:
            raise OpusHeaderError("mapping family 0 carries no channel mapping table")

    def _is_trivial_family_1(self) -> bool:
        """One Opus stream whose channels map straight through: same as family 0."""
        return (
            self.channels <= 2
            and self.stream_count == 1
            and self.coupled_count == self.channels - 1
            and self.channel_mapping == bytes(range(self.channels))
        )

    @property
    def output_gain_db(self) -> float:
        return self.output_gain_q8 / 256.0

    def __bytes__(self) -> bytes:
        head = _HEAD.pack(
            HEAD_MAGIC,
            self.version,
            self.channels,
            self.pre_skip,
            self.input_sample_rate,
            self.output_gain_q8,
            self.mapping_family,
        )
        if self.mapping_family == 0:
            return head
        return head + _MAPPING.pack(self.stream_count, self.coupled_count) + self.channel_mapping

    @classmethod
    def from_bytes(cls, packet: bytes) -> OpusHead:
        if not packet.startswith(HEAD_MAGIC):
            raise OpusHeaderError(f"not an OpusHead packet (starts with {bytes(packet[:8])!r})")
        if len(packet) < _HEAD.size:
            raise OpusHeaderError(f"OpusHead is {len(packet)} bytes (at least {_HEAD.size})")
        _, version, channels, pre_skip, rate, gain, family = _HEAD.unpack_from(packet)
        streams = coupled = 0
        mapping = b""
        if family != 0:
            table_end = _HEAD.size + _MAPPING.size + channels
            if len(packet) < table_end:
                raise OpusHeaderError(f"OpusHead channel mapping table cut short ({len(packet)} B)")
            streams, coupled = _MAPPING.unpack_from(packet, _HEAD.size)
            mapping = bytes(packet[_HEAD.size + _MAPPING.size : table_end])
        # Bytes past the known fields belong to future minor versions: ignored, as RFC 7845 asks.
        return cls(channels, pre_skip, rate, gain, family, streams, coupled, mapping, version)


@dataclass(frozen=True, slots=True)
class OpusTags:
    """Comment header: vendor string and ``KEY=value`` comments (keys are case-insensitive).

    ``extra`` is binary data after the comments, kept only when its first bit is set (RFC 7845
    5.2); anything else there is padding and dropped.
    """

    vendor: str = ""
    comments: tuple[tuple[str, str], ...] = ()
    extra: bytes = b""

    def __post_init__(self) -> None:
        for key, _ in self.comments:
            if not key or "=" in key or not all(0x20 <= ord(c) <= 0x7D for c in key):
                raise OpusHeaderError(f"invalid comment key {key!r}")
        if self.extra and not self.extra[0] & 1:
            raise OpusHeaderError("binary data after the comments must start with a set bit")

    def get_all(self, key: str) -> list[str]:
        wanted = key.upper()
        return [value for k, value in self.comments if k.upper() == wanted]

    def get(self, key: str, default: str | None = None) -> str | None:
        values = self.get_all(key)
        return values[0] if values else default

    def as_dict(self) -> dict[str, str]:
        """Upper-case keys; repeated keys joined with ", ". Pictures are left out (binary)."""
        merged: dict[str, list[str]] = {}
        for key, value in self.comments:
            if key.upper() != PICTURE_KEY:
                merged.setdefault(key.upper(), []).append(value)
        return {key: ", ".join(values) for key, values in merged.items()}

    def __bytes__(self) -> bytes:
        parts = [TAGS_MAGIC, *_length_prefixed(self.vendor.encode())]
        parts.append(_U32.pack(len(self.comments)))
        for key, value in self.comments:
            parts.extend(_length_prefixed(f"{key}={value}".encode()))
        parts.append(self.extra)
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, packet: bytes) -> OpusTags:
        """Parse in one pass over ``packet`` (linear even for a megabyte picture)."""
        if not packet.startswith(TAGS_MAGIC):
            raise OpusHeaderError(f"not an OpusTags packet (starts with {bytes(packet[:8])!r})")
        view = memoryview(packet)
        vendor, offset = _read_string(view, len(TAGS_MAGIC))
        count, offset = _read_u32(view, offset)
        comments = []
        for _ in range(count):
            text, offset = _read_string(view, offset)
            key, sep, value = text.partition("=")
            if sep and key and all(0x20 <= ord(c) <= 0x7D for c in key):
                comments.append((key, value))  # malformed comments are skipped, not fatal
        extra = bytes(view[offset:]) if offset < len(view) and view[offset] & 1 else b""
        return cls(vendor, tuple(comments), extra)


def _length_prefixed(data: bytes) -> tuple[bytes, bytes]:
    return _U32.pack(len(data)), data


def _read_u32(view: memoryview, offset: int) -> tuple[int, int]:
    if offset + 4 > len(view):
        raise OpusHeaderError(f"OpusTags cut short at byte {offset}")
    return _U32.unpack_from(view, offset)[0], offset + 4


def _read_string(view: memoryview, offset: int) -> tuple[str, int]:
    length, start = _read_u32(view, offset)
    if start + length > len(view):
        raise OpusHeaderError(f"OpusTags cut short: a {length}-byte string at byte {start}")
    return str(view[start : start + length], "utf-8", errors="replace"), start + length


class PictureError(ValueError):
    """A picture block that is corrupt, cut short or bigger than allowed."""


@dataclass(frozen=True, slots=True)
class Picture:
    """One FLAC picture block (the format of FLAC's PICTURE and of ``METADATA_BLOCK_PICTURE``):
    its picture type (3 = front cover), MIME type and image bytes. Width, height and colour
    fields are written as 0 ("unknown"), which the format allows."""

    type: int
    mime: str
    data: bytes
    description: str = ""

    def to_block(self) -> bytes:
        mime, description = self.mime.encode("ascii"), self.description.encode()
        return b"".join(
            (
                _BE_U32.pack(self.type),
                _BE_U32.pack(len(mime)),
                mime,
                _BE_U32.pack(len(description)),
                description,
                bytes(16),  # width, height, colour depth, palette size: unknown
                _BE_U32.pack(len(self.data)),
                self.data,
            )
        )

    def to_comment(self) -> str:
        """The value of a ``METADATA_BLOCK_PICTURE`` comment carrying this picture."""
        return base64.b64encode(self.to_block()).decode("ascii")

    @classmethod
    def from_block(cls, block: bytes, max_bytes: int) -> Picture:
        """Parse a picture block in one bounded pass; raises PictureError."""
        view = memoryview(block)
        kind, offset = _read_be_u32(view, 0)
        mime, offset = _read_be_field(view, offset, "MIME type")
        description, offset = _read_be_field(view, offset, "description")
        offset += 16  # width, height, colour depth, palette size
        size, offset = _read_be_u32(view, offset)
        if size > max_bytes:
            raise PictureError(f"the picture is {size} bytes (at most {max_bytes})")
        if offset + size > len(view):
            raise PictureError(f"picture data cut short: {size} bytes announced, fewer present")
        return cls(
            kind,
            str(mime, "ascii", errors="replace"),
            bytes(view[offset : offset + size]),
            str(description, "utf-8", errors="replace"),
        )

    @classmethod
    def from_comment(cls, text: str, max_bytes: int) -> Picture:
        """Decode a ``METADATA_BLOCK_PICTURE`` value. Its length is checked before decoding,
        so a huge one costs nothing; raises PictureError."""
        limit = _base64_chars(max_bytes + PICTURE_TEXT_BYTES)
        if len(text) > limit:
            raise PictureError(
                f"the picture is about {len(text) * 3 // 4} bytes (at most {max_bytes})"
            )
        try:
            block = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PictureError(f"the picture is not base64 ({exc})") from None
        return cls.from_block(block, max_bytes)


def comment_picture_type(text: str) -> int | None:
    """The picture type of a ``METADATA_BLOCK_PICTURE`` value, read from its first 8
    characters only; None when they are not a picture block's start."""
    try:
        return _BE_U32.unpack_from(base64.b64decode(text[:8], validate=True))[0]
    except (binascii.Error, ValueError, struct.error):
        return None


def preferred_picture(items: Sequence[_T], type_of: Callable[[_T], int | None]) -> _T | None:
    """The front cover if there is one, else the first picture (None for none)."""
    for item in items:
        if type_of(item) == FRONT_COVER:
            return item
    return items[0] if items else None


def cover_comment(values: Sequence[str]) -> str | None:
    """Of ``METADATA_BLOCK_PICTURE`` values (``OpusTags.get_all(PICTURE_KEY)``), the one to
    show, not decoded."""
    return preferred_picture(values, comment_picture_type)


def _base64_chars(size: int) -> int:
    return (size + 2) // 3 * 4


def _read_be_u32(view: memoryview, offset: int) -> tuple[int, int]:
    if offset + 4 > len(view):
        raise PictureError(f"picture block cut short at byte {offset}")
    return _BE_U32.unpack_from(view, offset)[0], offset + 4


def _read_be_field(view: memoryview, offset: int, what: str) -> tuple[memoryview, int]:
    length, start = _read_be_u32(view, offset)
    if length > PICTURE_TEXT_BYTES or start + length > len(view):
        raise PictureError(f"picture block {what} of {length} bytes does not fit")
    return view[start : start + length], start + length
