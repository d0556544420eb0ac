"""Browsing without typing: live rooms, favorites, top hashtags and genres, recently played.

Every list is a :class:`Page` (``items`` from ``offset``, ``total`` in all). Reads only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Literal

from device.catalog.index import LIVE_KEY_MIN
from device.catalog.records import Page, Played, Room, TagCount
from device.catalog.rooms import ROOM_FIELDS, ROOM_JOINS, room_from_row

__all__ = ["favorites", "live_rooms", "recently_played", "room", "top_tags"]


def room(conn: sqlite3.Connection, url: str) -> Room | None:
    row = conn.execute(f"SELECT {ROOM_FIELDS} FROM rooms r {ROOM_JOINS} WHERE r.url = ?", (url,))
    found = row.fetchone()
    return None if found is None else room_from_row(found)


def live_rooms(conn: sqlite3.Connection, limit: int, offset: int) -> Page[Room]:
    """Rooms live now in search-key order: favorites first, then by listeners."""
    rows = conn.execute(
        f"SELECT {ROOM_FIELDS} FROM rooms r {ROOM_JOINS} WHERE r.fts_rowid >= ?"
        " ORDER BY r.fts_rowid DESC LIMIT ? OFFSET ?",
        (LIVE_KEY_MIN, limit, offset),
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM rooms WHERE live = 1").fetchone()[0]
    return Page(tuple(room_from_row(row) for row in rows), total, offset)


def favorites(conn: sqlite3.Connection, limit: int, offset: int) -> Page[Room]:
    """Followed rooms: live ones first, then the most recently followed.

    A favorite no directory lists (yet) is shown by its URL, not live.
    """
    rows = conn.execute(
        f"SELECT {ROOM_FIELDS.replace('r.url,', 'f.url,', 1)}"
        f" FROM favorites f LEFT JOIN rooms r ON r.url = f.url {ROOM_JOINS}"
        " ORDER BY coalesce(r.live, 0) DESC, f.added_at DESC, f.url LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM favorites").fetchone()[0]
    return Page(tuple(room_from_row(_as_favorite(row)) for row in rows), total, offset)


def _as_favorite(row: Sequence[Any]) -> list[Any]:
    values = list(row)
    if values[1] is None:  # no rooms row: a room known only by its URL
        values[1:10] = ["", "", "[]", "[]", 0, None, 1, "", 0]
    values[10] = True
    return values


def top_tags(
    conn: sqlite3.Connection, kind: Literal["hashtag", "genre"], limit: int, offset: int
) -> Page[TagCount]:
    """Hashtags or genres by how many live rooms carry them (then alphabetically)."""
    rows = conn.execute(
        "SELECT min(label), key, count(*) AS n FROM room_tags WHERE kind = ? AND live = 1"
        " GROUP BY key ORDER BY n DESC, key LIMIT ? OFFSET ?",
        (kind, limit, offset),
    ).fetchall()
    total = conn.execute(
        "SELECT count(DISTINCT key) FROM room_tags WHERE kind = ? AND live = 1", (kind,)
    ).fetchone()[0]
    return Page(tuple(TagCount(*row) for row in rows), total, offset)


def recently_played(conn: sqlite3.Connection, limit: int, offset: int) -> Page[Played]:
    """Rooms and tracks the driver played, newest first, labelled for display."""
    rows = conn.execute(
        "SELECT p.target, p.at, r.name, t.title, t.artist FROM played p"
        " LEFT JOIN rooms r ON r.url = p.target LEFT JOIN tracks t ON t.path = p.target"
        " ORDER BY p.at DESC, p.target LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM played").fetchone()[0]
    items = []
    for target, at, room_name, title, artist in rows:
        if room_name is not None:
            items.append(Played(target, "room", room_name or target, at))
        elif title is not None:
            label = " \u2013 ".join(part for part in (artist, title) if part) or target
            items.append(Played(target, "track", label, at))
        else:
            items.append(Played(target, "other", target, at))
    return Page(tuple(items), total, offset)
