"""Local music files, one library root at a time (a USB stick, an SD card folder).

A scan hands over everything it found under a root; the catalog works out what is new,
what changed, and what vanished. Scanners can skip reading tags of unchanged files by
comparing against :func:`track_stamps` first, and take those files' records from
:func:`tracks_under`. The player's queries (an album in order, an artist, the library's
artists and albums) are here too. Writers run inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import fields

from device.catalog import index
from device.catalog.records import (
    LibraryAlbum,
    LibraryArtist,
    LibraryOverview,
    TrackRecord,
    TrackUpdate,
)
from device.catalog.text import fold

__all__ = [
    "TRACK_COLUMNS",
    "album_tracks",
    "artist_tracks",
    "library_overview",
    "root_prefix",
    "track_by_path",
    "track_count",
    "track_stamps",
    "tracks_under",
    "update_tracks",
]

# Columns named and ordered as TrackRecord's fields, so a row of TRACK_COLUMNS is a record.
_FIELDS = tuple(field.name for field in fields(TrackRecord) if field.name != "path")
TRACK_COLUMNS = ", ".join(("path", *_FIELDS))


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
    upsert = (
        f"INSERT INTO tracks(path, root, {', '.join(_FIELDS)})"
        f" VALUES (?, ?, {', '.join('?' * len(_FIELDS))})"
        " ON CONFLICT(path) DO UPDATE SET root = excluded.root,"
        + ", ".join(f" {name} = excluded.{name}" for name in _FIELDS)
        + " RETURNING id"
    )
    added = changed = 0
    for path, track in listed.items():
        values = tuple(getattr(track, name) for name in _FIELDS)
        row = known.get(path)
        if row is not None and tuple(row[2:]) == values:
            continue
        track_id = conn.execute(upsert, (path, prefix, *values)).fetchone()[0]
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


def tracks_under(conn: sqlite3.Connection, root: str) -> list[TrackRecord]:
    """Every track known under ``root``, by path."""
    rows = conn.execute(
        f"SELECT {TRACK_COLUMNS} FROM tracks WHERE root = ? ORDER BY path", (root_prefix(root),)
    )
    return [TrackRecord(*row) for row in rows]


def track_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM tracks").fetchone()[0])


def track_by_path(conn: sqlite3.Connection, path: str) -> TrackRecord | None:
    row = conn.execute(f"SELECT {TRACK_COLUMNS} FROM tracks WHERE path = ?", (path,)).fetchone()
    return None if row is None else TrackRecord(*row)


def album_tracks(conn: sqlite3.Connection, album: str, artist: str = "") -> list[TrackRecord]:
    """The tracks of ``album`` in playing order (disc, track number, then path); by ``artist``
    only when given (a compilation's tracks each name their own artist)."""
    sql = f"SELECT {TRACK_COLUMNS} FROM tracks WHERE album = ?"
    params: tuple[str, ...] = (album,)
    if artist:
        sql += " AND artist = ?"
        params += (artist,)
    rows = conn.execute(sql + " ORDER BY disc_number, track_number, path", params)
    return [TrackRecord(*row) for row in rows]


def artist_tracks(conn: sqlite3.Connection, artist: str) -> list[TrackRecord]:
    """The tracks of ``artist``: album by album (sorted as read), each in playing order."""
    rows = conn.execute(f"SELECT {TRACK_COLUMNS} FROM tracks WHERE artist = ?", (artist,))
    found = [TrackRecord(*row) for row in rows]
    found.sort(key=lambda t: (*_reading_order(t.album), t.disc_number, t.track_number, t.path))
    return found


def library_overview(conn: sqlite3.Connection) -> LibraryOverview:
    """Artists (with how many named albums and tracks) and named albums (with their artist
    and tracks). Untagged artists appear as ""; tracks with no album are in no album."""
    artists = [
        LibraryArtist(name, albums, count)
        for name, albums, count in conn.execute(
            "SELECT artist, count(DISTINCT nullif(album, '')), count(*) FROM tracks GROUP BY artist"
        )
    ]
    albums = [
        LibraryAlbum(name, artist, count)
        for name, artist, count in conn.execute(
            "SELECT album, artist, count(*) FROM tracks WHERE album != '' GROUP BY album, artist"
        )
    ]
    artists.sort(key=lambda a: _reading_order(a.name))
    albums.sort(key=lambda a: (*_reading_order(a.name), *_reading_order(a.artist)))
    return LibraryOverview(tuple(artists), tuple(albums))


def _reading_order(name: str) -> tuple[str, str]:
    """Sort key ignoring case and accents; the exact spelling breaks ties, so it is stable."""
    return fold(name), name
