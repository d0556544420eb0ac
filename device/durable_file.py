"""State files that survive power cuts (bonds, settings, artwork): written whole or not at all.

A car unit loses power mid-write. A file is written to a temporary neighbour, flushed to the
card (fsync), renamed over the old one (atomic on POSIX), and the directory is fsynced so the
rename itself is durable. A file that still cannot be read is set aside, never deleted: it
may hold keys someone wants back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class CorruptFile(ValueError):
    """The file exists but is not the JSON object it should be; it has been set aside."""


_TEMPORARY_SUFFIX = ".tmp"


def temporary_name(name: str) -> str:
    """The neighbour a file called ``name`` is written to before the rename; one left behind
    (power cut mid-write) may be removed."""
    return f".{name}{_TEMPORARY_SUFFIX}"


def is_temporary_name(name: str) -> bool:
    return name.startswith(".") and name.endswith(_TEMPORARY_SUFFIX)


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` durably. Not for concurrent writers of the same path
    (they share the temporary neighbour): callers serialise them."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(temporary_name(path.name))
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.fchmod(fd, mode)  # the umask must not narrow it, nor an old file widen it
            unwritten = memoryview(data)
            while unwritten:
                unwritten = unwritten[os.write(fd, unwritten) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_json(path: Path, value: Any) -> None:
    write_atomically(path, json.dumps(value, indent=1, sort_keys=True).encode())


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None if there is no file.

    Raises CorruptFile (after moving the file aside and logging why) when it cannot be read.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        value = json.loads(data)
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    except (ValueError, RecursionError) as exc:
        raise CorruptFile(f"{path}: {exc}; moved to {set_aside(path)}") from None
    return value


def set_aside(path: Path) -> Path:
    """Rename a bad file out of the way (keeping it for inspection) and log where it went."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, aside)
    log.error("unreadable state file %s set aside as %s", path, aside)
    return aside
