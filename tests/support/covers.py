"""Real cover pictures for tests, and the ways taggers embed them in real music files.

JPEGs come from ffmpeg, PNGs from the studio's own drawing code; they are embedded by
mutagen exactly as taggers do: FLAC PICTURE blocks, ID3 APIC frames, Vorbis/Opus
``METADATA_BLOCK_PICTURE`` comments, MP4 ``covr`` atoms.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import mutagen
from mutagen.flac import FLAC
from mutagen.flac import Picture as FlacPicture
from mutagen.id3 import APIC, ID3, ID3NoHeaderError
from mutagen.mp4 import MP4, MP4Cover

from device.audio.opus_head import FRONT_COVER, Picture
from studio.cover_art import stripe_png

OTHER = 0  # picture type "Other"
FFMPEG = ("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi")


def make_jpeg(path: Path, colour: str = "0x336699", size: int = 48) -> bytes:
    """A real JPEG (ffmpeg's encoder) of one colour; returns its bytes."""
    subprocess.run(
        [*FFMPEG, "-i", f"color=c={colour}:s={size}x{size}", "-frames:v", "1", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path.read_bytes()


def make_png(seed: int = 0) -> bytes:
    return stripe_png((20 + 40 * seed % 200, 60, 120), (240, 200, 40))


def embed_flac_pictures(path: Path, pictures: list[Picture]) -> None:
    audio = FLAC(path)
    for picture in pictures:
        block = FlacPicture()
        block.type, block.mime, block.data = picture.type, picture.mime, picture.data
        audio.add_picture(block)
    audio.save()


def embed_apic(path: Path, picture: Picture) -> None:
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    tags.add(APIC(encoding=3, mime=picture.mime, type=picture.type, desc="", data=picture.data))
    tags.save(path)


def embed_comment_picture(path: Path, comment: str) -> None:
    """A ``METADATA_BLOCK_PICTURE`` comment (Ogg Opus, Ogg Vorbis), verbatim."""
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags["METADATA_BLOCK_PICTURE"] = [comment]
    audio.save()


def embed_mp4_cover(path: Path, data: bytes, png: bool = False) -> None:
    audio = MP4(path)
    kind = MP4Cover.FORMAT_PNG if png else MP4Cover.FORMAT_JPEG
    audio["covr"] = [MP4Cover(data, imageformat=kind)]
    audio.save()


def front_cover(data: bytes, mime: str = "image/jpeg") -> Picture:
    return Picture(FRONT_COVER, mime, data)
