"""The full-text indexes: folded copies of rooms, songs and tracks, one FTS5 row per fact row.

Each FTS row has the ``rowid`` of the row it describes. Text is folded in Python
(:func:`device.catalog.text.fold`) before it is indexed, so the index agrees with how queries
are folded; the tokenizer's own diacritic removal is only a second net. The indexes are
written here and nowhere else, inside the caller's transaction. Rooms' rows also carry the
song playing now, so one match answers "live rooms playing Daft Punk".
"""

from __future__ import annotations

import json
import sqlite3

from device.catalog.text import fold, genre_key, tag_key

__all__ = [
    "ROOM_COLUMNS",
    "SONG_COLUMNS",
    "TRACK_COLUMNS",
    "create_tables",
    "index_room",
    "index_song",
    "index_track",
    "rebuild",
]

ROOM_COLUMNS = ("name", "description", "genres", "hashtags", "now_artist", "now_title", "now_album")
SONG_COLUMNS = ("artist", "title", "album")
TRACK_COLUMNS = ("title", "artist", "album", "genre")
# Prefix indexes for one- and two-letter prefixes: the first keystrokes of a search match
# the most words, and these make them one index lookup instead of a scan of the term list.
_OPTIONS = "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2'"


def create_tables(conn: sqlite3.Connection) -> None:
    for table, columns in (
        ("rooms_fts", ROOM_COLUMNS),
        ("songs_fts", SONG_COLUMNS),
        ("tracks_fts", TRACK_COLUMNS),
    ):
        conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(columns)}, {_OPTIONS})")


def index_room(conn: sqlite3.Connection, room_id: int) -> None:
    """(Re)index one room from its row and its current song; unindex it if it is gone."""
    conn.execute("DELETE FROM rooms_fts WHERE rowid = ?", (room_id,))
    row = conn.execute(
        "SELECT r.name, r.description, r.genres, r.hashtags,"
        " coalesce(s.artist, ''), coalesce(s.title, ''), coalesce(s.album, '')"
        " FROM rooms r LEFT JOIN plays p ON p.id = r.now_play_id"
        " LEFT JOIN songs s ON s.id = p.song_id WHERE r.id = ?",
        (room_id,),
    ).fetchone()
    if row is None:
        return
    name, description, genres, tags, artist, title, album = row
    conn.execute(
        "INSERT INTO rooms_fts(rowid, name, description, genres, hashtags,"
        " now_artist, now_title, now_album) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            room_id,
            fold(name),
            fold(description),
            " ; ".join(genre_key(genre) for genre in json.loads(genres)),
            " ".join(tag_key(tag) for tag in json.loads(tags)),
            fold(artist),
            fold(title),
            fold(album),
        ),
    )


def index_song(conn: sqlite3.Connection, song_id: int, artist: str, title: str, album: str) -> None:
    """Index a song just inserted into ``songs`` (songs never change, they only go)."""
    conn.execute(
        "INSERT INTO songs_fts(rowid, artist, title, album) VALUES (?, ?, ?, ?)",
        (song_id, fold(artist), fold(title), fold(album)),
    )


def index_track(conn: sqlite3.Connection, track_id: int, values: tuple[str, str, str, str]) -> None:
    """(Re)index a track from (title, artist, album, genre)."""
    conn.execute("DELETE FROM tracks_fts WHERE rowid = ?", (track_id,))
    conn.execute(
        "INSERT INTO tracks_fts(rowid, title, artist, album, genre) VALUES (?, ?, ?, ?, ?)",
        (track_id, *(fold(value) for value in values)),
    )


def rebuild(conn: sqlite3.Connection) -> None:
    """Re-create every FTS row from the fact tables (after a migration or a change of folding)."""
    for table in ("rooms_fts", "songs_fts", "tracks_fts"):
        conn.execute(f"DELETE FROM {table}")
    room_ids = [row[0] for row in conn.execute("SELECT id FROM rooms")]
    for room_id in room_ids:
        index_room(conn, room_id)
    for song_id, artist, title, album in conn.execute(
        "SELECT id, artist, title, album FROM songs"
    ).fetchall():
        index_song(conn, song_id, artist, title, album)
    for track_id, *values in conn.execute(
        "SELECT id, title, artist, album, genre FROM tracks"
    ).fetchall():
        index_track(conn, track_id, tuple(values))
