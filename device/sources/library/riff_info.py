"""The ``LIST INFO`` chunk of a RIFF/WAVE file: the tags Windows tools and ffmpeg write.

mutagen reads only ID3 from WAV files, so this small reader covers the other common kind.
It walks the top-level chunks by their headers, seeking past audio data, and reads only an
INFO list of reasonable size: a truncated or hostile file yields fewer tags, never an error.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

__all__ = ["read_riff_info"]

MAX_INFO_BYTES = 64 * 1024  # real INFO lists are a few hundred bytes
MAX_CHUNKS = 64  # top-level chunks examined: fmt, data, LIST, id3, a few vendor ones


def read_riff_info(file: BinaryIO) -> dict[str, str]:
    """``{chunk id: text}`` of the file's INFO list (``INAM``, ``IART``…); ``{}`` when none.

    Values are UTF-8 as modern tools write them, or Windows-1252-like bytes from older ones
    (decoded as Latin-1, which cannot fail).
    """
    file.seek(0)
    header = file.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return {}
    for _ in range(MAX_CHUNKS):
        chunk_header = file.read(8)
        if len(chunk_header) < 8:
            return {}
        chunk_id, size = struct.unpack("<4sI", chunk_header)
        if chunk_id == b"LIST" and size <= MAX_INFO_BYTES:
            body = file.read(size)
            if body[:4] == b"INFO":
                return _info_entries(body[4:])
        else:
            file.seek(size, 1)
        file.seek(size % 2, 1)  # chunks are padded to an even length
    return {}


def _info_entries(body: bytes) -> dict[str, str]:
    entries: dict[str, str] = {}
    offset = 0
    while offset + 8 <= len(body):
        entry_id, size = struct.unpack_from("<4sI", body, offset)
        raw = body[offset + 8 : offset + 8 + size].split(b"\0", 1)[0]
        entries[entry_id.decode("latin-1")] = _decode(raw)
        offset += 8 + size + size % 2
    return entries


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
