"""Rooms as directory sources list them: upsert, retire, read back as :class:`Room`.

Functions take an open connection and run inside the caller's transaction (reads need none).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from device.catalog import index
from device.catalog.records import Room, RoomRecord, Song
from device.catalog.text import genre_key, hashtags, tag_key

__all__ = [
    "ROOM_FIELDS",
    "ROOM_JOINS",
    "ensure_room",
    "room_from_row",
    "rooms_by_id",
    "update_rooms",
]

# Select list and joins that read a Room; the rooms table is aliased ``r``.
ROOM_FIELDS = (
    "r.url, r.name, r.description, r.genres, r.hashtags, r.listeners, r.bitrate_kbps,"
    " r.public, r.source, r.live, fav.url IS NOT NULL, s.artist, s.title, s.album, p.at, p.via"
)
ROOM_JOINS = (
    " LEFT JOIN favorites fav ON fav.url = r.url"
    " LEFT JOIN plays p ON p.id = r.now_play_id LEFT JOIN songs s ON s.id = p.song_id"
)
ROOM_FIELD_COUNT = 16


def room_from_row(row: Sequence[Any]) -> Room:
    """A :class:`Room` from the first :data:`ROOM_FIELD_COUNT` values of ``row``."""
    url, name, description, genres, tags, listeners, bitrate, public, source, live = row[:10]
    favorite, artist, title, album, at, via = row[10:ROOM_FIELD_COUNT]
    song = None if at is None else Song(artist, title, album, at, via)
    return Room(
        url=url,
        name=name or url,  # a room known only by URL (a preset, a song heard)
        description=description,
        genres=tuple(json.loads(genres)),
        hashtags=tuple(json.loads(tags)),
        listeners=listeners,
        bitrate_kbps=bitrate,
        public=bool(public),
        source=source,
        live=bool(live),
        favorite=bool(favorite),
        now_playing=song,
    )


def rooms_by_id(conn: sqlite3.Connection, room_ids: Sequence[int]) -> dict[int, Room]:
    """The rooms with these ids (a page's worth), by id."""
    marks = ", ".join("?" * len(room_ids))
    rows = conn.execute(
        f"SELECT {ROOM_FIELDS}, r.id FROM rooms r {ROOM_JOINS} WHERE r.id IN ({marks})",
        tuple(room_ids),
    )
    return {row[-1]: room_from_row(row) for row in rows}


def ensure_room(conn: sqlite3.Connection, url: str, seen_at: float) -> int:
    """The id of the room at ``url``, adding a not-live placeholder if it is unknown."""
    row = conn.execute("SELECT id FROM rooms WHERE url = ?", (url,)).fetchone()
    if row:
        return int(row[0])
    cursor = conn.execute("INSERT INTO rooms(url, last_seen) VALUES (?, ?)", (url, seen_at))
    room_id = int(cursor.lastrowid or 0)
    index.index_room(conn, room_id)
    return room_id


_KNOWN = "id, url, name, description, genres, listeners, bitrate_kbps, public, source, live"


def update_rooms(
    conn: sqlite3.Connection, source: str, records: Sequence[RoomRecord], now: float
) -> None:
    """Make ``records`` the live rooms of ``source``: add new ones, update changed ones,
    mark that source's other rooms not live (kept, with their history and favorites)."""
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"source must name a directory spec, not {source!r}")
    for record in records:
        if record.source != source:
            raise ValueError(f"room {record.url} is from {record.source!r}, not {source!r}")
    listed = {record.url: record for record in records}  # the last listing of a URL wins
    known = {
        row[1]: row
        for row in conn.execute(f"SELECT {_KNOWN} FROM rooms WHERE source = ?", (source,))
    }
    for url, record in listed.items():
        row = (
            known.get(url)
            or conn.execute(f"SELECT {_KNOWN} FROM rooms WHERE url = ?", (url,)).fetchone()
        )
        _upsert(conn, row, record, now)
    gone = [row[0] for url, row in known.items() if row[9] and url not in listed]
    for room_id in gone:
        conn.execute("UPDATE rooms SET live = 0, last_seen = ? WHERE id = ?", (now, room_id))
        conn.execute("UPDATE room_tags SET live = 0 WHERE room_id = ?", (room_id,))
        index.index_room(conn, room_id, text_changed=False)  # its search key drops to not live


def _upsert(
    conn: sqlite3.Connection, row: Sequence[Any] | None, record: RoomRecord, now: float
) -> None:
    genres = json.dumps(list(record.genres), ensure_ascii=False)
    numbers = (record.listeners, record.bitrate_kbps, int(record.public), record.source, 1)
    if row is None:
        room_id = conn.execute("INSERT INTO rooms(url) VALUES (?)", (record.url,)).lastrowid
        assert room_id is not None
    else:
        room_id = row[0]
        if tuple(row[2:5]) == (record.name, record.description, genres):
            if tuple(row[5:10]) != numbers:
                conn.execute(
                    "UPDATE rooms SET listeners = ?, bitrate_kbps = ?, public = ?, source = ?,"
                    " live = ?, last_seen = ? WHERE id = ?",
                    (*numbers, now, room_id),
                )
                if not row[9]:  # listed again
                    conn.execute("UPDATE room_tags SET live = 1 WHERE room_id = ?", (room_id,))
                index.index_room(conn, room_id, text_changed=False)
            return
    tags = hashtags(record.description)
    conn.execute(
        "UPDATE rooms SET name = ?, description = ?, genres = ?, hashtags = ?, listeners = ?,"
        " bitrate_kbps = ?, public = ?, source = ?, live = ?, last_seen = ?"
        " WHERE id = ?",
        (
            record.name,
            record.description,
            genres,
            json.dumps(list(tags), ensure_ascii=False),
            *numbers,
            now,
            room_id,
        ),
    )
    conn.execute("DELETE FROM room_tags WHERE room_id = ?", (room_id,))
    labels = [("hashtag", tag_key(tag), tag) for tag in tags]
    labels += [("genre", genre_key(genre), genre) for genre in record.genres]
    conn.executemany(
        "INSERT OR IGNORE INTO room_tags(room_id, kind, key, label, live) VALUES (?, ?, ?, ?, 1)",
        [(room_id, kind, key, label) for kind, key, label in labels if key],
    )
    index.index_room(conn, room_id)
