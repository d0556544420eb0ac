"""Cover pictures for the demo rooms, drawn in code: no image files in the repository.

Each is a small PNG (96x96, a vertical shade of the room's colour crossed by a diagonal
stripe, about 1 KiB), carried as a ``METADATA_BLOCK_PICTURE`` comment (a base64 FLAC
picture block, front cover) on every link of the room's stream, as a real station's
encoder would send its show artwork.
"""

from __future__ import annotations

import struct
import zlib

from device.audio.opus_head import FRONT_COVER, PICTURE_KEY, Picture

Rgb = tuple[int, int, int]
COVER_PX = 96
STRIPE_PX = 14


def stripe_png(background: Rgb, stripe: Rgb, size: int = COVER_PX) -> bytes:
    """A ``size`` x ``size`` RGB PNG: ``background`` shaded darker downwards, a diagonal
    ``stripe`` from the bottom left to the top right."""
    rows = []
    for y in range(size):
        shade = 1.0 - 0.45 * y / size
        back = bytes(round(channel * shade) for channel in background)
        row = bytearray(back * size)
        centre = size - 1 - y
        for x in range(max(0, centre - STRIPE_PX // 2), min(size, centre + STRIPE_PX // 2)):
            row[3 * x : 3 * x + 3] = bytes(stripe)
        rows.append(b"\0" + bytes(row))  # filter type 0 on every scanline
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
            _chunk(b"IEND", b""),
        )
    )


def cover_tags(png: bytes) -> dict[str, str]:
    """The OpusTags comment that carries ``png`` as the front cover."""
    return {PICTURE_KEY: Picture(FRONT_COVER, "image/png", png).to_comment()}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
