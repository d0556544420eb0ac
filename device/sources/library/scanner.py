"""Keep the catalog's local tracks in step with the music on USB sticks and SD cards.

A scan walks each library root, compares every audio file's (mtime_ns, size) with what the
catalog knows, reads tags only of new and changed files, and hands the root's full list
back to the catalog, which adds, updates and deletes. Files that did not change keep the
catalog's record (their tags are not read again), and when nothing changed nothing is
written, so rescanning 10,000 unchanged files costs a directory walk and one query.

A root that is not there (stick unplugged, card not mounted) is reported unavailable and
its tracks stay in the catalog: the stick usually comes back. See :mod:`.roots`.

The catalog is reached through :class:`TrackStore`, which :class:`device.catalog.Catalog`
satisfies; records are built by ``make_record`` (``device.catalog.TrackRecord``), because
sources and the catalog are sibling layers that do not import each other.

Blocking (file system and SQLite): run in a worker thread, never on the event loop.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from device.sources.library.roots import REMOVABLE_MEDIA_BASES, why_unavailable
from device.sources.library.tags import AUDIO_SUFFIXES, TagError, TrackTags, read_track_tags

__all__ = [
    "FoundFile",
    "LibraryScanner",
    "RootScan",
    "SkippedFile",
    "TrackStore",
    "scan_library",
    "walk_library",
]

log = logging.getLogger(__name__)

# Folders that hold no music of the driver's, though they may hold audio files: operating
# systems' trash and housekeeping on FAT/exFAT/ext4 sticks (compared case-insensitively).
SYSTEM_FOLDERS = frozenset(("$recycle.bin", "recycler", "system volume information", "lost+found"))
SKIPPED_IN_LOG = 3


class _HasPath(Protocol):
    @property
    def path(self) -> str: ...


R = TypeVar("R", bound=_HasPath)


class TrackStore(Protocol[R]):
    """What a scan needs of the catalog (``device.catalog.Catalog`` has these methods)."""

    def track_stamps(self, root: str) -> Mapping[str, tuple[int, int]]: ...

    def tracks_under(self, root: str) -> Sequence[R]: ...

    def update_tracks(self, root: str, records: Sequence[R]) -> object: ...


@dataclass(frozen=True)
class SkippedFile:
    """A file (or folder) under a root that could not be read, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class RootScan:
    """What one scan of one root found. ``available`` False: the root was not there, nothing
    was read or changed. ``skipped`` files are not in the catalog (any earlier record of
    them was removed, and counted in ``removed``)."""

    root: str
    available: bool
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: tuple[SkippedFile, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class FoundFile:
    """An audio file found by the walk, with the stamp that tells whether it changed."""

    path: str
    mtime_ns: int
    size: int


def walk_library(root: str) -> tuple[list[FoundFile], list[SkippedFile]]:
    """The audio files under ``root`` (a folder; raises ``OSError`` if it cannot be listed)
    and the folders and files that could not be read.

    Iterative (any depth). Hidden names and system folders are ignored. Symbolic links to
    folders are not followed (no loops, no second walk of the same music); a link to a file
    counts only if it stays inside the root. A file whose name is not valid UTF-8 (a stick
    written with a legacy code page) is skipped: the catalog stores text.
    """
    real_root = os.path.realpath(root)
    found: list[FoundFile] = []
    skipped: list[SkippedFile] = []
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    _visit(entry, real_root, pending, found, skipped)
        except OSError as error:
            if folder == root:
                raise
            skipped.append(
                SkippedFile(_printable(folder), f"cannot list the folder: {_why(error)}")
            )
    return found, skipped


def _visit(
    entry: os.DirEntry[str],
    real_root: str,
    pending: list[str],
    found: list[FoundFile],
    skipped: list[SkippedFile],
) -> None:
    name = entry.name
    if name.startswith("."):
        return
    try:
        if entry.is_dir(follow_symlinks=False):
            if name.casefold() not in SYSTEM_FOLDERS:
                pending.append(entry.path)
            return
        if os.path.splitext(name)[1].lower() not in AUDIO_SUFFIXES:
            return
        if entry.is_symlink():
            if not os.path.realpath(entry.path).startswith(real_root.rstrip(os.sep) + os.sep):
                return
            file_stat = os.stat(entry.path)
        else:
            file_stat = entry.stat(follow_symlinks=False)
    except OSError as error:
        skipped.append(SkippedFile(_printable(entry.path), f"cannot read the file: {_why(error)}"))
        return
    if not stat.S_ISREG(file_stat.st_mode):
        return
    if not _is_utf8(entry.path):
        skipped.append(SkippedFile(_printable(entry.path), "the file name is not valid UTF-8"))
        return
    found.append(FoundFile(entry.path, file_stat.st_mtime_ns, file_stat.st_size))


class LibraryScanner(Generic[R]):
    """Scans roots into ``store``. Remembers which roots it reported missing, so an absent
    stick is logged once (and its return once), however often the engine rescans.

    ``read_tags`` reads one file (tests count calls through it); ``media_bases`` are the
    folders where an empty mount point means "not plugged in" (see :mod:`.roots`).
    """

    def __init__(
        self,
        store: TrackStore[R],
        *,
        make_record: Callable[..., R],
        read_tags: Callable[[str], TrackTags] = read_track_tags,
        media_bases: Sequence[str] = REMOVABLE_MEDIA_BASES,
    ) -> None:
        self.store = store
        self.make_record = make_record
        self.read_tags = read_tags
        self.media_bases = tuple(media_bases)
        self._reported_missing: set[str] = set()

    def scan(self, roots: Sequence[str]) -> list[RootScan]:
        """Scan each root once. A root inside another (``/media/usb/Music`` beside
        ``/media/usb``) is part of the outer one's scan, not a second owner of its files."""
        return [self.scan_root(root) for root in _outermost(roots)]

    def scan_root(self, root: str) -> RootScan:
        started = time.monotonic()
        root = os.path.abspath(root)
        reason = why_unavailable(root, self.media_bases)
        if reason is None:
            try:
                found, skipped = walk_library(root)
            except OSError as error:
                reason = f"it cannot be listed ({_why(error)})"
        if reason is not None:
            self._note_missing(root, reason)
            return RootScan(root, available=False, seconds=time.monotonic() - started)
        result = self._update(root, found, skipped)
        if result is None:  # the root went away while its files were read
            self._note_missing(root, "it went away during the scan")
            return RootScan(root, available=False, seconds=time.monotonic() - started)
        if root in self._reported_missing:
            self._reported_missing.discard(root)
            log.info("library root %s is back", root)
        if result.skipped:
            shown = "; ".join(f"{s.path}: {s.reason}" for s in result.skipped[:SKIPPED_IN_LOG])
            log.warning("%s: skipped %d unreadable file(s): %s", root, len(result.skipped), shown)
        return replace(result, seconds=time.monotonic() - started)

    def _update(
        self, root: str, found: list[FoundFile], skipped: list[SkippedFile]
    ) -> RootScan | None:
        """Read what is new or changed and write the root's tracks if anything differs;
        None if the root vanished meanwhile (then nothing is written)."""
        known = self.store.track_stamps(root)
        fresh: list[R] = []
        unchanged: set[str] = set()
        added = changed = 0
        for file in found:
            stamp = known.get(file.path)
            if stamp == (file.mtime_ns, file.size):
                unchanged.add(file.path)
                continue
            record = self._record(file, skipped)
            if record is None:
                continue
            fresh.append(record)
            if stamp is None:
                added += 1
            else:
                changed += 1
        removed = len(known) - len(unchanged) - changed
        if why_unavailable(root, self.media_bases) is not None:
            return None
        if added or changed or removed:
            kept = [record for record in self.store.tracks_under(root) if record.path in unchanged]
            self.store.update_tracks(root, kept + fresh)
        return RootScan(root, True, added, changed, removed, len(unchanged), tuple(skipped))

    def _record(self, file: FoundFile, skipped: list[SkippedFile]) -> R | None:
        try:
            tags = self.read_tags(file.path)
            return self.make_record(
                path=file.path, mtime_ns=file.mtime_ns, size=file.size, **vars(tags)
            )
        except TagError as error:
            skipped.append(SkippedFile(file.path, error.reason))
        except (TypeError, ValueError) as error:  # the catalog refused a value of the file's
            skipped.append(SkippedFile(file.path, f"unusable tags: {error}"))
        return None

    def _note_missing(self, root: str, reason: str) -> None:
        if root not in self._reported_missing:
            self._reported_missing.add(root)
            log.info("library root %s is not available: %s; keeping its tracks", root, reason)


def scan_library(
    store: TrackStore[R],
    roots: Sequence[str],
    *,
    make_record: Callable[..., R],
    read_tags: Callable[[str], TrackTags] = read_track_tags,
    media_bases: Sequence[str] = REMOVABLE_MEDIA_BASES,
) -> list[RootScan]:
    """Scan ``roots`` once (see :class:`LibraryScanner` for rescans that log less)."""
    scanner = LibraryScanner(
        store, make_record=make_record, read_tags=read_tags, media_bases=media_bases
    )
    return scanner.scan(roots)


def _outermost(roots: Sequence[str]) -> list[str]:
    absolute = list(dict.fromkeys(os.path.abspath(root) for root in roots))
    kept = []
    for root in absolute:
        outer = [other for other in absolute if root.startswith(other.rstrip(os.sep) + os.sep)]
        if outer:
            log.warning("library root %s is inside %s: scanned as part of it", root, outer[0])
        else:
            kept.append(root)
    return kept


def _is_utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by os.scandir as lone surrogates
        return False
    return True


def _printable(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _why(error: OSError) -> str:
    return error.strerror or str(error)
