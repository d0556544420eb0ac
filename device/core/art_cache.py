"""The art cache: the pictures of what plays, as files the touchscreen loads by name.

A picture is stored once, as ``<first 16 hex digits of the SHA-256 of its bytes>.jpg|.png``
in one directory (``EngineConfig.art_dir``); the ``now`` event names the file, never a
path. Only JPEG and PNG are kept, judged by their first bytes as well as their MIME type
(the touchscreen decodes them; anything else is a risk for no gain). Files appear whole:
written to a temporary name, flushed, then renamed, so a reader — or a power cut — never
sees half a picture. At most ``max_files`` pictures stay; the least recently used go first
(a picture shown again has its modification time renewed).

Blocking file I/O: ``store`` runs on a worker thread, never on the audio render thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from device.audio.opus_head import Picture
from device.durable_file import is_temporary_name, write_atomically

log = logging.getLogger(__name__)

MAX_PICTURE_BYTES = 4 << 20  # a cover is rarely above 1 MiB; beyond this it is not shown
MAX_FILES = 64
NAME_HEX_DIGITS = 16
STALE_TEMP_S = 60.0  # a temporary file this old was left by a crash or a power cut
_MIME_TYPES = {"image/jpeg": ".jpg", "image/jpg": ".jpg", "image/png": ".png"}
_MAGIC = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"))


def image_suffix(data: bytes) -> str | None:
    """ ".jpg" or ".png" from the image's first bytes; None for anything else."""
    for magic, suffix in _MAGIC:
        if data.startswith(magic):
            return suffix
    return None


def is_art_name(name: str) -> bool:
    stem, suffix = os.path.splitext(name)
    return (
        len(stem) == NAME_HEX_DIGITS
        and all(c in "0123456789abcdef" for c in stem)
        and suffix in (".jpg", ".png")
    )


class ArtCache:
    def __init__(
        self, directory: Path, *, max_files: int = MAX_FILES, max_bytes: int = MAX_PICTURE_BYTES
    ) -> None:
        if max_files < 1:
            raise ValueError(f"max_files must be at least 1, got {max_files}")
        self.directory = Path(directory)
        self.max_files = max_files
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # two songs' pictures may be stored at once

    def store(self, picture: Picture, source: str) -> str:
        """Keep ``picture`` and return its file name; "" (and a log line naming ``source``)
        when it is not a JPEG or PNG, too big, or cannot be written. Never raises for that."""
        suffix = self._accepted_suffix(picture, source)
        if suffix is None:
            return ""
        name = hashlib.sha256(picture.data).hexdigest()[:NAME_HEX_DIGITS] + suffix
        path = self.directory / name
        try:
            with self._lock:
                if path.exists():
                    os.utime(path)  # used again: the last to be pruned
                    return name
                self.directory.mkdir(parents=True, exist_ok=True)
                write_atomically(path, picture.data, mode=0o644)
                self._prune(keep=name)
        except OSError as exc:
            log.warning("cover of %s not kept: %s", source, exc)
            return ""
        return name

    def _accepted_suffix(self, picture: Picture, source: str) -> str | None:
        mime = picture.mime.strip().lower()
        suffix = image_suffix(picture.data)
        if mime not in _MIME_TYPES:
            log.info("cover of %s ignored: %r is not a JPEG or PNG picture", source, picture.mime)
        elif suffix is None:
            log.warning(
                "cover of %s ignored: labelled %s, its bytes are not a JPEG or PNG", source, mime
            )
        elif len(picture.data) > self.max_bytes:
            log.warning(
                "cover of %s ignored: %d bytes (at most %d)",
                source,
                len(picture.data),
                self.max_bytes,
            )
        else:
            return suffix
        return None

    def _prune(self, keep: str) -> None:
        """Remove the least recently used pictures beyond ``max_files``, and temporary files
        a crash left behind. Files that are not the cache's own are left alone."""
        pictures: list[tuple[float, str]] = []
        now = time.time()
        with os.scandir(self.directory) as entries:
            for entry in entries:
                with contextlib.suppress(FileNotFoundError):
                    mtime = entry.stat().st_mtime
                    if is_art_name(entry.name) and entry.name != keep:
                        pictures.append((mtime, entry.name))
                    elif is_temporary_name(entry.name) and now - mtime > STALE_TEMP_S:
                        os.unlink(entry.path)
        pictures.sort()
        for _, name in pictures[: max(0, len(pictures) + 1 - self.max_files)]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.directory / name)
