"""The full-text indexes: folded words of rooms, plays and tracks, kept in step with them.

Written here and nowhere else, inside the caller's transaction. Four choices keep every
keystroke of a search to a few index reads on 50,000 rooms:

* **Folded in Python.** Text goes through :func:`device.catalog.text.fold` before it is
  indexed, as queries do, so both agree; the tokenizer's diacritic removal is a second net.
* **Fields by token marks, not column filters.** Each FTS row has two columns: ``words``,
  every word of the thing unmarked (what plain query words match), and ``fields``, the
  words that belong to a field, each prefixed with that field's mark (``MARK_ARTIST +
  "beyonce"``; marks are private-use characters, which the tokenizer keeps inside tokens
  and folded text never contains). "Artist starts with be" is then one prefix lookup; an
  FTS5 column filter would read every row holding ``be…`` anywhere to check its column.
* **Long prefixes by vocabulary.** FTS5 answers ``"song"*`` by merging the whole doclist
  of every word starting with ``song`` before it returns a row (a millisecond for a common
  word); ``search_terms`` lists the indexed words longer than the prefix index covers, so
  a query turns ``song*`` into ``song OR songs``, which FTS5 walks lazily.
* **Rank in the rowid.** A room's FTS rowid is its *key*: ``bucket << 32 | room id``; the
  bucket is 0 for a room that is not live and otherwise grows with being a favorite and
  with listeners (log scale). FTS5 walks a match in rowid order and stops at ``LIMIT``, so
  "the 20 best live rooms matching d" reads 20 rows, not the 40,000 that match; BM25 would
  read them all and their phrase statistics (tens of ms). ``rooms.fts_rowid`` remembers the
  key so a room can be re-keyed. A play's rowid is its *time key* (milliseconds << 12 plus
  a sequence; ``plays.fts_rowid``): "matching plays since t, newest first" is a rowid range
  walked backwards. A track's rowid is its id.

A room's row also holds the song playing there now, so one match answers "live rooms
playing Daft Punk".
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable

from device.catalog.text import tag_key, words

__all__ = [
    "LIVE_KEY_MIN",
    "MARK_ALBUM",
    "MARK_ARTIST",
    "MARK_GENRE",
    "MARK_NAME",
    "MARK_TAG",
    "MARK_TITLE",
    "PLAIN",
    "PREFIX_INDEXED_CHARS",
    "create_tables",
    "index_play",
    "index_room",
    "index_track",
    "optimize",
    "rebuild",
    "room_id_of",
    "room_key",
    "time_key",
    "unindex_room",
]

PLAIN = ""  # the "mark" of the words column: plain query words match there
MARK_NAME = "\ue001"
MARK_GENRE = "\ue002"
MARK_TAG = "\ue003"
MARK_ARTIST = "\ue004"
MARK_TITLE = "\ue005"
MARK_ALBUM = "\ue006"
_ROOM_ID_BITS = 32
LIVE_KEY_MIN = 1 << _ROOM_ID_BITS  # every live room's key is at least this
_FAVORITE_BUCKETS = 64
_BUCKETS_PER_E = 3  # listeners' buckets: 3 per factor e (~2.7x) of listeners
_PLAY_SEQUENCE_BITS = 12
# Prefix indexes for 1-3 characters (a mark counts as one): the first keystrokes match the
# most words, and these make them one index lookup instead of a merge over all those words.
PREFIX_INDEXED_CHARS = 3
_OPTIONS = "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'"
_TABLES = ("rooms_fts", "plays_fts", "tracks_fts")


def create_tables(conn: sqlite3.Connection) -> None:
    for table in _TABLES:
        conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(words, fields, {_OPTIONS})")


def _row(conn: sqlite3.Connection, fields: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(words, fields) column texts from (mark, text) pairs (``PLAIN`` text: words only);
    the long terms are added to ``search_terms``."""
    plain: list[str] = []
    marked: list[str] = []
    for mark, text in fields:
        found = words(text)
        plain += found
        if mark:
            marked += [mark + word for word in found]
    long_terms = {(term,) for term in (*plain, *marked) if len(term) > PREFIX_INDEXED_CHARS}
    conn.executemany("INSERT OR IGNORE INTO search_terms(term) VALUES (?)", long_terms)
    return " ".join(plain), " ".join(marked)


def room_key(room_id: int, live: bool, favorite: bool, listeners: int) -> int:
    """The FTS rowid that orders a room: live, then favorite, then listeners, then id."""
    if not 0 < room_id < LIVE_KEY_MIN:
        raise ValueError(f"room id {room_id} does not fit the search key")
    if not live:
        return room_id
    popularity = min(_FAVORITE_BUCKETS - 1, int(_BUCKETS_PER_E * math.log1p(max(listeners, 0))))
    bucket = 1 + popularity + (_FAVORITE_BUCKETS if favorite else 0)
    return bucket << _ROOM_ID_BITS | room_id


def room_id_of(key: int) -> int:
    return key & (LIVE_KEY_MIN - 1)


def time_key(at: float) -> int:
    """The smallest time key of a play heard at ``at`` (seconds)."""
    return max(0, int(at * 1000)) << _PLAY_SEQUENCE_BITS


def index_room(conn: sqlite3.Connection, room_id: int, *, text_changed: bool = True) -> None:
    """Bring the room's FTS row up to date; with ``text_changed=False`` only its key may have
    changed (live, favorite, listeners), and an unchanged key costs one read."""
    row = conn.execute(
        "SELECT r.fts_rowid, r.live, fav.url IS NOT NULL, r.listeners, r.name, r.description,"
        " r.genres, r.hashtags, coalesce(s.artist, ''), coalesce(s.title, ''),"
        " coalesce(s.album, '') FROM rooms r LEFT JOIN favorites fav ON fav.url = r.url"
        " LEFT JOIN plays p ON p.id = r.now_play_id LEFT JOIN songs s ON s.id = p.song_id"
        " WHERE r.id = ?",
        (room_id,),
    ).fetchone()
    if row is None:
        return
    old_key, live, favorite, listeners, name, description, genres, tags, *song = row
    key = room_key(room_id, bool(live), bool(favorite), listeners)
    if key == old_key and not text_changed:
        return
    if old_key is not None:
        conn.execute("DELETE FROM rooms_fts WHERE rowid = ?", (old_key,))
    artist, title, album = song
    tag_keys = " ".join(tag_key(tag) for tag in json.loads(tags))
    texts = _row(
        conn,
        (
            (MARK_NAME, name),
            (PLAIN, description),
            (MARK_GENRE, " ".join(json.loads(genres))),
            (MARK_TAG, tag_keys),
            (MARK_ARTIST, artist),
            (MARK_TITLE, title),
            (MARK_ALBUM, album),
        ),
    )
    conn.execute("INSERT INTO rooms_fts(rowid, words, fields) VALUES (?, ?, ?)", (key, *texts))
    conn.execute("UPDATE rooms SET fts_rowid = ? WHERE id = ?", (key, room_id))


def unindex_room(conn: sqlite3.Connection, room_id: int) -> None:
    """Drop the room's FTS row (before the room itself is deleted)."""
    conn.execute(
        "DELETE FROM rooms_fts WHERE rowid = (SELECT fts_rowid FROM rooms WHERE id = ?)",
        (room_id,),
    )


def index_play(
    conn: sqlite3.Connection, play_id: int, at: float, artist: str, title: str, album: str
) -> None:
    """Index a play just inserted (plays never change; they only go) under its time key."""
    key = time_key(at) + play_id % (1 << _PLAY_SEQUENCE_BITS)
    while conn.execute("SELECT 1 FROM plays_fts WHERE rowid = ?", (key,)).fetchone():
        key += 1  # two plays in the same millisecond with ids 4096 apart: never, but safe
    texts = _row(conn, ((MARK_ARTIST, artist), (MARK_TITLE, title), (MARK_ALBUM, album)))
    conn.execute("INSERT INTO plays_fts(rowid, words, fields) VALUES (?, ?, ?)", (key, *texts))
    conn.execute("UPDATE plays SET fts_rowid = ? WHERE id = ?", (key, play_id))


def index_track(conn: sqlite3.Connection, track_id: int, values: tuple[str, str, str, str]) -> None:
    """(Re)index a track from (title, artist, album, genre)."""
    title, artist, album, genre = values
    texts = _row(
        conn, ((MARK_TITLE, title), (MARK_ARTIST, artist), (MARK_ALBUM, album), (MARK_GENRE, genre))
    )
    conn.execute("DELETE FROM tracks_fts WHERE rowid = ?", (track_id,))
    conn.execute(
        "INSERT INTO tracks_fts(rowid, words, fields) VALUES (?, ?, ?)", (track_id, *texts)
    )


def optimize(conn: sqlite3.Connection) -> None:
    """Merge each index's segments into one (FTS5 ``optimize``).

    Every write transaction adds a segment and FTS5 merges them only lazily; a query reads
    every segment, so after many writes searches run 2-4x slower than on merged indexes.
    """
    for table in _TABLES:
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
    # Forget the long terms no index holds any more (songs long gone, renamed rooms).
    conn.execute("DELETE FROM search_terms")
    for table in _TABLES:
        conn.execute(f"CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, {table}, 'row')")
        conn.execute(
            "INSERT OR IGNORE INTO search_terms(term) SELECT term FROM temp.vocabulary"
            " WHERE length(term) > ?",
            (PREFIX_INDEXED_CHARS,),
        )
        conn.execute("DROP TABLE temp.vocabulary")


def rebuild(conn: sqlite3.Connection) -> None:
    """Re-create every FTS row from the fact tables (after a migration or a change of folding)."""
    for table in (*_TABLES, "search_terms"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("UPDATE rooms SET fts_rowid = NULL")
    for (room_id,) in conn.execute("SELECT id FROM rooms").fetchall():
        index_room(conn, room_id)
    conn.execute("UPDATE plays SET fts_rowid = NULL")
    plays = "SELECT p.id, p.at, artist, title, album FROM plays p JOIN songs s ON s.id = song_id"
    for play_id, at, artist, title, album in conn.execute(plays).fetchall():
        index_play(conn, play_id, at, artist, title, album)
    tracks = "SELECT id, title, artist, album, genre FROM tracks"
    for track_id, title, artist, album, genre in conn.execute(tracks).fetchall():
        index_track(conn, track_id, (title, artist, album, genre))
