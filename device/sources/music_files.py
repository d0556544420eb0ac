"""One door for playing a local music file: the right feed for its format.

Ogg Opus goes through the project's own demuxer (``LocalFileFeed``: packets the renderer
decodes with libopus); Ogg Vorbis, FLAC, MP3 and WAV through miniaudio (``MusicFileFeed``:
decoded PCM). An ``.ogg`` holding Opus rather than Vorbis is common (many tools name Opus
files that way), so ``.ogg``/``.oga`` files are sniffed for an OpusHead.
"""

from __future__ import annotations

import logging
from pathlib import Path

from device.audio.music_decoder import SUPPORTED_SUFFIXES, MusicFileError, MusicFileFeed
from device.sources.local_file import LocalFileFeed

__all__ = ["PLAYABLE_SUFFIXES", "MusicFileError", "open_music_feed"]

log = logging.getLogger(__name__)

PLAYABLE_SUFFIXES: tuple[str, ...] = (".opus", *SUPPORTED_SUFFIXES)
_OPUS_HEAD_AT = 28  # the first Ogg page's header is 27 bytes + 1 lacing value for OpusHead


def open_music_feed(
    path: str | Path,
    *,
    tags: dict[str, str] | None = None,
    start_frame: int = 0,
) -> LocalFileFeed | MusicFileFeed:
    """A feed playing ``path``; raises MusicFileError (or OSError, ValueError from the Opus
    demuxer) for a file that cannot be played, with the path and the reason.

    For Opus files the tags come from the file itself, and ``start_frame`` is not supported
    yet: they play from the start.
    """
    path = Path(path)
    if _is_opus(path):
        if start_frame:
            log.info(
                "%s: resuming inside Opus files is not supported; playing from the start", path
            )
        return LocalFileFeed(path)
    return MusicFileFeed(path, tags=tags, start_frame=start_frame)


def _is_opus(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".opus":
        return True
    if suffix not in (".ogg", ".oga"):
        return False
    try:
        with open(path, "rb") as file:
            head = file.read(_OPUS_HEAD_AT + 8)
    except OSError:
        return False  # MusicFileFeed says why it cannot be opened
    return head.startswith(b"OggS") and head[_OPUS_HEAD_AT:] == b"OpusHead"
