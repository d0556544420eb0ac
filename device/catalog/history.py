"""Songs heard in rooms (by peeking at their stream headers or in-band) and how long we keep them.

A room's history is a list of plays; its latest play is its now-playing song. The same song
reported again (the next peek, or the in-band tags of what a peek already saw) is not a new
play. History is bounded: plays older than ``keep_s`` and beyond ``plays_per_room`` go, and so
do songs no play refers to and rooms gone from every directory for ``room_keep_s``
(unless they are a favorite or a preset).

Functions run inside the caller's transaction.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from device.catalog import index
from device.catalog.records import SONG_VIA, Song
from device.catalog.rooms import ensure_room
from device.catalog.text import fold

__all__ = ["HistoryLimits", "now_playing", "prune", "record_song"]

DAY_S = 86400.0


@dataclass(frozen=True)
class HistoryLimits:
    """How much history to keep; the defaults suit an SD card and "the last hour" searches."""

    keep_s: float = 7 * DAY_S
    plays_per_room: int = 500
    room_keep_s: float = 30 * DAY_S  # rooms gone from every directory (not favorites/presets)
    played_entries: int = 200  # "recently played" list


def record_song(
    conn: sqlite3.Connection,
    room_url: str,
    artist: str,
    title: str,
    album: str,
    at: float,
    via: str,
    limits: HistoryLimits,
) -> bool:
    """Note that ``room_url`` plays this song since ``at``; True if that is a new play.

    A song with neither artist nor title means "unknown": the room's now-playing is cleared
    and nothing is added to its history. A room the catalog does not know yet is added, not
    live (songs are heard in rooms played from a preset or a typed URL too).
    """
    for name, value in (("room_url", room_url), ("artist", artist), ("title", title)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not isinstance(album, str):
        raise TypeError(f"album must be a string, not {type(album).__name__}")
    if not room_url.strip():
        raise ValueError("room_url must not be empty")
    if via not in SONG_VIA:
        raise ValueError(f"via must be peek or inband, got {via!r}")
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise ValueError(f"at must be a finite time in seconds, got {at!r}")
    artist, title, album = artist.strip(), title.strip(), album.strip()
    room_id = ensure_room(conn, room_url, at)
    current = conn.execute(
        "SELECT p.song_id FROM rooms r JOIN plays p ON p.id = r.now_play_id WHERE r.id = ?",
        (room_id,),
    ).fetchone()
    if not artist and not title:
        if current is not None:
            conn.execute("UPDATE rooms SET now_play_id = NULL WHERE id = ?", (room_id,))
            index.index_room(conn, room_id)
        return False
    song_id = _song_id(conn, artist, title, album)
    if current is not None and current[0] == song_id:
        return False
    play_id = conn.execute(
        "INSERT INTO plays(room_id, song_id, at, via) VALUES (?, ?, ?, ?)",
        (room_id, song_id, at, via),
    ).lastrowid
    conn.execute(
        "UPDATE rooms SET now_play_id = ?1, last_seen = max(coalesce(last_seen, ?2), ?2)"
        " WHERE id = ?3",
        (play_id, at, room_id),
    )
    index.index_play(conn, play_id, at, artist, title, album)
    _delete_plays(
        conn,
        "room_id = ?1 AND id NOT IN"
        " (SELECT id FROM plays WHERE room_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2)",
        (room_id, limits.plays_per_room),
    )
    index.index_room(conn, room_id)
    return True


def _delete_plays(conn: sqlite3.Connection, where: str, params: tuple[object, ...]) -> None:
    """Delete the plays ``where`` selects, their FTS rows, and songs no play refers to now."""
    song_ids = {row[0] for row in conn.execute(f"SELECT song_id FROM plays WHERE {where}", params)}
    if not song_ids:
        return
    conn.execute(
        f"DELETE FROM plays_fts WHERE rowid IN (SELECT fts_rowid FROM plays WHERE {where})", params
    )
    conn.execute(f"DELETE FROM plays WHERE {where}", params)
    conn.executemany(
        "DELETE FROM songs WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM plays WHERE song_id = ?1)",
        [(song_id,) for song_id in song_ids],
    )


def _song_id(conn: sqlite3.Connection, artist: str, title: str, album: str) -> int:
    """The id of this song, adding it (first spelling wins) if new."""
    key = "\x1f".join((fold(artist), fold(title), fold(album)))
    row = conn.execute("SELECT id FROM songs WHERE key = ?", (key,)).fetchone()
    if row:
        return int(row[0])
    song_id = conn.execute(
        "INSERT INTO songs(key, artist, title, album) VALUES (?, ?, ?, ?)",
        (key, artist, title, album),
    ).lastrowid
    assert song_id is not None
    return song_id


def now_playing(conn: sqlite3.Connection, room_url: str) -> Song | None:
    """The last song heard in ``room_url`` (None if none, or it was reported unknown)."""
    row = conn.execute(
        "SELECT s.artist, s.title, s.album, p.at, p.via FROM rooms r"
        " JOIN plays p ON p.id = r.now_play_id JOIN songs s ON s.id = p.song_id"
        " WHERE r.url = ?",
        (room_url,),
    ).fetchone()
    return None if row is None else Song(*row)


def prune(conn: sqlite3.Connection, now: float, limits: HistoryLimits) -> None:
    """Drop what ``limits`` no longer keep; the indexes follow."""
    cutoff = now - limits.keep_s
    stale_now = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM rooms WHERE now_play_id IN (SELECT id FROM plays WHERE at < ?)",
            (cutoff,),
        )
    ]
    _delete_plays(conn, "at < ?", (cutoff,))
    for room_id in stale_now:  # their now-playing went with the old plays
        index.index_room(conn, room_id)
    old_rooms = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM rooms WHERE live = 0 AND coalesce(last_seen, 0) < ?"
            " AND url NOT IN (SELECT url FROM favorites)"
            " AND url NOT IN (SELECT target FROM presets WHERE kind = 'room')",
            (now - limits.room_keep_s,),
        )
    ]
    for room_id in old_rooms:
        _delete_plays(conn, "room_id = ?", (room_id,))
        index.unindex_room(conn, room_id)
        conn.execute("DELETE FROM rooms WHERE id = ?", (room_id,))
    conn.execute(
        "DELETE FROM played WHERE target NOT IN"
        " (SELECT target FROM played ORDER BY at DESC LIMIT ?)",
        (limits.played_entries,),
    )
