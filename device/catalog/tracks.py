"""Local music files, one library root at a time (a USB stick, an SD card folder).

A scan hands over everything it found under a root; the catalog works out what is new,
what changed, and what vanished. Scanners can skip reading tags of unchanged files by
comparing against :func:`track_stamps` first. Writers run inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from device.catalog import index
from device.catalog.records import TrackRecord, TrackUpdate

__all__ = ["root_prefix", "track_count", "track_stamps", "update_tracks"]

_FIELDS = ("title", "artist", "album", "genre", "duration_s", "mtime_ns", "size")


def root_prefix(root: str) -> str:
    """``root`` as the prefix every path under it starts with (``/media/usb/``)."""
    if not isinstance(root, str) or not root.strip():
        raise ValueError(f"a library root must be a non-empty path, not {root!r}")
    return root.rstrip("/") + "/"


def update_tracks(
    conn: sqlite3.Connection, root: str, tracks: Sequence[TrackRecord]
) -> TrackUpdate:
    """Make ``tracks`` the catalog's tracks under ``root``; the others under it go."""
    prefix = root_prefix(root)
    for track in tracks:
        if not track.path.startswith(prefix):
            raise ValueError(f"track {track.path!r} is not under the library root {root!r}")
    listed = {track.path: track for track in tracks}
    known = {
        row[1]: row
        for row in conn.execute(
            f"SELECT id, path, {', '.join(_FIELDS)} FROM tracks WHERE root = ?", (prefix,)
        )
    }
    added = changed = 0
    for path, track in listed.items():
        values = tuple(getattr(track, name) for name in _FIELDS)
        row = known.get(path)
        if row is not None and tuple(row[2:]) == values:
            continue
        track_id = conn.execute(
            f"INSERT INTO tracks(path, root, {', '.join(_FIELDS)})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(path) DO UPDATE SET root = excluded.root,"
            + ", ".join(f" {name} = excluded.{name}" for name in _FIELDS)
            + " RETURNING id",
            (path, prefix, *values),
        ).fetchone()[0]
        index.index_track(conn, track_id, (track.title, track.artist, track.album, track.genre))
        if row is None:
            added += 1
        else:
            changed += 1
    gone = [(row[0],) for path, row in known.items() if path not in listed]
    conn.executemany("DELETE FROM tracks WHERE id = ?", gone)
    conn.executemany("DELETE FROM tracks_fts WHERE rowid = ?", gone)
    return TrackUpdate(added, changed, len(gone), len(listed) - added - changed)


def track_stamps(conn: sqlite3.Connection, root: str) -> dict[str, tuple[int, int]]:
    """``{path: (mtime_ns, size)}`` of the tracks known under ``root``."""
    rows = conn.execute(
        "SELECT path, mtime_ns, size FROM tracks WHERE root = ?", (root_prefix(root),)
    )
    return {path: (mtime_ns, size) for path, mtime_ns, size in rows}


def track_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM tracks").fetchone()[0])
