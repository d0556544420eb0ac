"""Where local music can be: removable media mount points, and whether a root is there now.

A USB stick that is not plugged in often leaves its mount point behind as an empty folder
(``/media/usb0`` from usbmount, a stale ``/media/pi/STICK``). Scanning that folder would
find no music and delete the stick's tracks from the catalog, so a root under a removable
media folder counts as present only when a file system other than that folder's own is
mounted there.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = [
    "AUTO_LIBRARY",
    "LIBRARY_ROOT_PATTERNS",
    "REMOVABLE_MEDIA_BASES",
    "default_library_roots",
    "mount_table",
    "resolve_library_roots",
    "why_unavailable",
]

REMOVABLE_MEDIA_BASES = ("/media", "/run/media", "/mnt")
# Mount points of removable media: usbmount and fstab (/media/usb0, /mnt/usb), udisks
# (/media/<user>/<label>, /run/media/<user>/<label>).
LIBRARY_ROOT_PATTERNS = ("media/*", "media/*/*", "mnt/usb*", "run/media/*/*")
# Mounts under those folders that are the system's own, never music: the read-only root and
# its writable layer while the overlay root is on (Raspberry Pi OS's overlayroot).
SYSTEM_MOUNTS = ("root-ro", "root-rw")
AUTO_LIBRARY = "auto"
"""A ``catalog.library`` entry standing for the removable media mounted now."""
MOUNT_TABLE = Path("/proc/self/mountinfo")


def default_library_roots(
    base: str = "/", *, is_mount: Callable[[str], bool] = os.path.ismount
) -> list[str]:
    """The removable media mounted now under ``base`` (``/`` on the unit; a test's folder
    in tests), sorted. Only mount points count: ``/media/pi`` holds mounts but is none, and
    a folder on a stick is not a second library. Evaluate again when media come and go."""
    found = {
        path
        for pattern in LIBRARY_ROOT_PATTERNS
        for path in glob.glob(os.path.join(base, pattern))
        if os.path.basename(path) not in SYSTEM_MOUNTS and os.path.isdir(path) and is_mount(path)
    }
    return sorted(
        path for path in found if not any(path.startswith(other + os.sep) for other in found)
    )


def resolve_library_roots(
    configured: Sequence[str], base: str = "/", *, is_mount: Callable[[str], bool] = os.path.ismount
) -> tuple[str, ...]:
    """The music folders now: the configured ones, with ``auto`` replaced by the removable
    media mounted at this moment (a stick plugged in after the engine started included)."""
    roots: list[str] = []
    for entry in configured:
        roots.extend(
            default_library_roots(base, is_mount=is_mount) if entry == AUTO_LIBRARY else [entry]
        )
    return tuple(dict.fromkeys(roots))


def mount_table() -> str:
    """The kernel's mount table ("" where there is none): it changes when media come or go,
    and reading it costs far less than looking for media folder by folder."""
    try:
        return MOUNT_TABLE.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def why_unavailable(root: str, media_bases: Sequence[str] = REMOVABLE_MEDIA_BASES) -> str | None:
    """Why ``root`` cannot be scanned now (missing, not a folder, nothing mounted there,
    unreadable), or None when it can."""
    try:
        root_stat = os.stat(root)
    except FileNotFoundError:
        return "it does not exist"
    except OSError as error:
        return f"it cannot be read ({error.strerror or error})"
    if not stat.S_ISDIR(root_stat.st_mode):
        return "it is not a folder"
    for base in media_bases:
        if not root.startswith(base.rstrip(os.sep) + os.sep):
            continue
        try:
            same_file_system = os.stat(base).st_dev == root_stat.st_dev
        except OSError:
            continue
        if same_file_system:
            return f"nothing is mounted there (it is on the same file system as {base})"
    if not os.access(root, os.R_OK | os.X_OK):
        return "it cannot be read (permission denied)"
    return None
