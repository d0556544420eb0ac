"""The catalog's schema as an ordered list of migrations; the database records how far it got.

A migration is applied once, in its own transaction together with the bump of
``schema_version`` (see :func:`device.catalog.store.migrate`), so a power cut mid-migration
leaves the previous version intact. Never edit a released migration: append a new one.

Version 1 holds the facts (rooms, songs heard, local tracks, the driver's favorites, presets,
settings, what was played). Version 2 adds the full-text indexes, built from those facts;
they hold only derived, folded text and rank keys, and can be rebuilt at any time
(``index.rebuild``). Version 3 gives tracks their place in an album (track and disc number)
and their audio format, so the player can play an album in order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from device.catalog import index

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration"]

_V1_FACTS = """
CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    genres TEXT NOT NULL DEFAULT '[]',        -- JSON list, as the directory spelled them
    hashtags TEXT NOT NULL DEFAULT '[]',      -- JSON list, parsed from the description
    listeners INTEGER NOT NULL DEFAULT 0,
    bitrate_kbps INTEGER,
    public INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT '',          -- '' for rooms known only by URL
    live INTEGER NOT NULL DEFAULT 0,
    last_seen REAL,
    now_play_id INTEGER REFERENCES plays(id) ON DELETE SET NULL
);
CREATE INDEX rooms_live ON rooms(live);
CREATE INDEX rooms_now_play ON rooms(now_play_id);  -- deleting a play looks its room up
CREATE INDEX rooms_source ON rooms(source, live);
CREATE TABLE room_tags (
    room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('hashtag', 'genre')),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    live INTEGER NOT NULL DEFAULT 0,          -- the room's, copied: counts per tag need no join
    PRIMARY KEY (room_id, kind, key)
) WITHOUT ROWID;
CREATE INDEX room_tags_live ON room_tags(kind, live, key, label);
CREATE TABLE songs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    artist TEXT NOT NULL,
    title TEXT NOT NULL,
    album TEXT NOT NULL
);
CREATE TABLE plays (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    song_id INTEGER NOT NULL REFERENCES songs(id),
    at REAL NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('peek', 'inband'))
);
CREATE INDEX plays_room ON plays(room_id, at);
CREATE INDEX plays_song ON plays(song_id, at);
CREATE INDEX plays_at ON plays(at);
CREATE TABLE tracks (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    root TEXT NOT NULL,
    title TEXT NOT NULL,
    artist TEXT NOT NULL,
    album TEXT NOT NULL,
    genre TEXT NOT NULL,
    duration_s REAL NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX tracks_root ON tracks(root);
CREATE TABLE favorites (url TEXT PRIMARY KEY, added_at REAL NOT NULL);
CREATE TABLE presets (
    slot INTEGER PRIMARY KEY CHECK (slot BETWEEN 1 AND 4),
    kind TEXT NOT NULL CHECK (kind IN ('room', 'artist', 'album', 'playlist')),
    target TEXT NOT NULL,
    label TEXT NOT NULL
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE played (target TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE INDEX played_at ON played(at);
"""


def _v1_facts(conn: sqlite3.Connection) -> None:
    for statement in _V1_FACTS.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v2_search_indexes(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE rooms ADD COLUMN fts_rowid INTEGER")  # the room's search key
    conn.execute("CREATE UNIQUE INDEX rooms_fts_rowid ON rooms(fts_rowid)")
    conn.execute("ALTER TABLE plays ADD COLUMN fts_rowid INTEGER")  # the play's time key
    conn.execute("CREATE UNIQUE INDEX plays_fts_rowid ON plays(fts_rowid)")
    # Indexed words of 4+ characters, to turn a long prefix into the words it starts.
    conn.execute("CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID")
    index.create_tables(conn)
    index.rebuild(conn)


def _v3_track_order(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE tracks ADD COLUMN track_number INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE tracks ADD COLUMN disc_number INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE tracks ADD COLUMN format TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE INDEX tracks_album ON tracks(album)")
    conn.execute("CREATE INDEX tracks_artist ON tracks(artist)")
    # Older scans never read track numbers or formats. A zero stamp (no real file is dated
    # 1970) makes the next scan re-read every file's tags instead of keeping the blanks.
    conn.execute("UPDATE tracks SET mtime_ns = 0")


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    apply: Callable[[sqlite3.Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "rooms, songs heard, tracks, favorites, presets, settings", _v1_facts),
    Migration(
        2, "full-text search indexes (FTS5) over rooms, songs and tracks", _v2_search_indexes
    ),
    Migration(3, "tracks: track and disc number, audio format", _v3_track_order),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
