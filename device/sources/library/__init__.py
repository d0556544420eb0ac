"""Local music on USB sticks and SD cards: where it is, what its tags say, keeping the
catalog in step with it.

Start at :func:`scan_library` (or :class:`LibraryScanner` for periodic rescans) and
:func:`default_library_roots`. Only :mod:`.tags` imports mutagen.
"""

from device.sources.library.roots import (
    AUTO_LIBRARY,
    REMOVABLE_MEDIA_BASES,
    default_library_roots,
    mount_table,
    resolve_library_roots,
    why_unavailable,
)
from device.sources.library.scanner import (
    FoundFile,
    LibraryScanner,
    RootScan,
    SkippedFile,
    TrackStore,
    scan_library,
    walk_library,
)
from device.sources.library.tags import AUDIO_SUFFIXES, TagError, TrackTags, read_track_tags

__all__ = [
    "AUDIO_SUFFIXES",
    "AUTO_LIBRARY",
    "REMOVABLE_MEDIA_BASES",
    "FoundFile",
    "LibraryScanner",
    "RootScan",
    "SkippedFile",
    "TagError",
    "TrackStore",
    "TrackTags",
    "default_library_roots",
    "mount_table",
    "read_track_tags",
    "resolve_library_roots",
    "scan_library",
    "walk_library",
    "why_unavailable",
]
