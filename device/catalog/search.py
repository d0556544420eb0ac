"""Search: one query, three ranked groups — live rooms, rooms that recently played it, tracks.

Rooms live now are ranked in tiers: playing the match now (their current song matches
every song-side term of the query) > played it recently > matched by name, description,
genres or hashtags. Within a tier, text relevance (BM25, name and hashtags weigh most), the
room's listeners (log scale) and being a favorite add up. The "recent" group holds rooms that
played a matching song within the window and are not playing it live now (those are on top
of the live group), live ones first, then favorites, then the most recent. Room-side terms
(``#tag``, ``genre:``) filter the recent group; song-side terms must match the song itself.

Functions are reads: no transaction needed; nothing here raises on any query text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from device.catalog.index import ROOM_COLUMNS, SONG_COLUMNS, TRACK_COLUMNS
from device.catalog.query import Field, fts_expression, parse
from device.catalog.records import Page, RoomHit, SearchResults, Song, TrackRecord
from device.catalog.rooms import ROOM_FIELD_COUNT, ROOM_FIELDS, ROOM_JOINS, room_from_row

__all__ = ["FAVORITE_BOOST", "Plan", "rooms_that_played", "search"]

T = TypeVar("T")
FAVORITE_BOOST = 5.0  # in BM25 points; ln(1 + listeners) adds ~7 for a 1,000-listener room
_NOW = ("now_artist", "now_title", "now_album")
_ROOM_MAP: dict[Field, tuple[str, ...]] = {
    "any": ROOM_COLUMNS,
    "tag": ("hashtags",),
    "genre": ("genres",),
    "artist": ("now_artist",),
    "song": ("now_title",),
    "album": ("now_album",),
}
_NOW_MAP: dict[Field, tuple[str, ...]] = {
    "any": _NOW,
    "artist": ("now_artist",),
    "song": ("now_title",),
    "album": ("now_album",),
}
_SONG_MAP: dict[Field, tuple[str, ...]] = {
    "any": SONG_COLUMNS,
    "artist": ("artist",),
    "song": ("title",),
    "album": ("album",),
}
_ROOM_ONLY_MAP: dict[Field, tuple[str, ...]] = {"tag": ("hashtags",), "genre": ("genres",)}
_TRACK_MAP: dict[Field, tuple[str, ...]] = {
    "any": TRACK_COLUMNS,
    "tag": ("genre",),
    "genre": ("genre",),
    "artist": ("artist",),
    "song": ("title",),
    "album": ("album",),
}
# name, description, genres, hashtags, now_artist, now_title, now_album
_ROOM_WEIGHTS = "8.0, 1.5, 4.0, 6.0, 5.0, 5.0, 2.0"
_TRACK_WEIGHTS = "6.0, 5.0, 3.0, 2.0"  # title, artist, album, genre


@dataclass(frozen=True)
class Plan:
    """A parsed query as the MATCH expressions each index needs (None: cannot match)."""

    rooms: str | None  # every term, against room text and the song playing now
    now: str | None  # song-side terms against the song playing now
    songs: str | None  # song-side terms against songs heard
    room_filter: str | None  # room-side terms (#tag, genre:) only
    tracks: str | None

    @classmethod
    def of(cls, query: str) -> Plan:
        terms = parse(query)
        song_side = [term for term in terms if term.field in _SONG_MAP]
        room_side = [term for term in terms if term.field not in _SONG_MAP]
        return cls(
            rooms=fts_expression(terms, _ROOM_MAP),
            now=fts_expression(song_side, _NOW_MAP),
            songs=fts_expression(song_side, _SONG_MAP),
            room_filter=fts_expression(room_side, _ROOM_ONLY_MAP),
            tracks=fts_expression(terms, _TRACK_MAP),
        )


def search(
    conn: sqlite3.Connection, query: str, since: float, limit: int, offset: int
) -> SearchResults:
    plan = Plan.of(query)
    return SearchResults(
        query=query,
        live_rooms=_live_rooms(conn, plan, since, limit, offset),
        recent_rooms=_played_rooms(conn, plan, since, limit, offset, exclude_playing_live=True),
        tracks=_tracks(conn, plan, limit, offset),
    )


def rooms_that_played(
    conn: sqlite3.Connection, query: str, since: float, limit: int, offset: int
) -> Page[RoomHit]:
    """Rooms (live or not) that played a song matching ``query`` at or after ``since``."""
    return _played_rooms(conn, Plan.of(query), since, limit, offset, exclude_playing_live=False)


def _played_cte(plan: Plan) -> str:
    """``played(room_id, at, play_id)``: each room's latest play of a matching song."""
    songs = (
        "SELECT rowid FROM songs_fts WHERE songs_fts MATCH :songs"
        if plan.songs
        else "SELECT 0 WHERE 0"
    )
    return (
        "WITH played AS MATERIALIZED (SELECT room_id, max(at) AS at, id AS play_id FROM plays"
        f" WHERE at >= :since AND song_id IN ({songs}) GROUP BY room_id)"
    )


_PLAYED_SONG = (
    " LEFT JOIN plays pp ON pp.id = played.play_id LEFT JOIN songs ps ON ps.id = pp.song_id"
)
_PLAYED_SONG_FIELDS = "ps.artist, ps.title, ps.album, pp.at, pp.via"


def _live_rooms(
    conn: sqlite3.Connection, plan: Plan, since: float, limit: int, offset: int
) -> Page[RoomHit]:
    if plan.rooms is None:
        return Page((), 0, offset)
    playing = (
        "r.id IN (SELECT rowid FROM rooms_fts WHERE rooms_fts MATCH :now)" if plan.now else "0"
    )
    sql = (
        f"{_played_cte(plan)} SELECT {ROOM_FIELDS}, {_PLAYED_SONG_FIELDS},"
        f" CASE WHEN {playing} THEN 3 WHEN played.room_id IS NOT NULL THEN 2 ELSE 1 END AS tier,"
        " count(*) OVER ()"
        f" FROM (SELECT rowid AS id, bm25(rooms_fts, {_ROOM_WEIGHTS}) AS rel FROM rooms_fts"
        "  WHERE rooms_fts MATCH :rooms) hit"
        f" JOIN rooms r ON r.id = hit.id {ROOM_JOINS}"
        f" LEFT JOIN played ON played.room_id = r.id {_PLAYED_SONG}"
        " WHERE r.live = 1"
        " ORDER BY tier DESC, r.popularity - hit.rel + (fav.url IS NOT NULL) * :boost DESC, r.id"
        " LIMIT :limit OFFSET :offset"
    )
    params = _params(plan, since, limit, offset)
    return _page(conn, sql, params, offset, _live_hit)


def _live_hit(row: Sequence[Any]) -> RoomHit:
    room = room_from_row(row)
    tier = row[ROOM_FIELD_COUNT + 5]
    if tier == 3:
        return RoomHit(room, "playing", room.now_playing)
    if tier == 2:
        return RoomHit(room, "played", _song(row[ROOM_FIELD_COUNT : ROOM_FIELD_COUNT + 5]))
    return RoomHit(room, "room", None)


def _played_rooms(
    conn: sqlite3.Connection,
    plan: Plan,
    since: float,
    limit: int,
    offset: int,
    *,
    exclude_playing_live: bool,
) -> Page[RoomHit]:
    if plan.songs is None:
        return Page((), 0, offset)
    where = ["1"]
    if exclude_playing_live:
        where.append(
            "NOT (r.live = 1 AND p.song_id IN"
            " (SELECT rowid FROM songs_fts WHERE songs_fts MATCH :songs))"
        )
    if plan.room_filter:
        where.append("r.id IN (SELECT rowid FROM rooms_fts WHERE rooms_fts MATCH :room_filter)")
    sql = (
        f"{_played_cte(plan)} SELECT {ROOM_FIELDS}, {_PLAYED_SONG_FIELDS}, count(*) OVER ()"
        f" FROM played JOIN rooms r ON r.id = played.room_id {ROOM_JOINS} {_PLAYED_SONG}"
        f" WHERE {' AND '.join(where)}"
        " ORDER BY r.live DESC, fav.url IS NOT NULL DESC, played.at DESC, r.id"
        " LIMIT :limit OFFSET :offset"
    )
    params = _params(plan, since, limit, offset)
    return _page(conn, sql, params, offset, _played_hit)


def _played_hit(row: Sequence[Any]) -> RoomHit:
    song = _song(row[ROOM_FIELD_COUNT : ROOM_FIELD_COUNT + 5])
    return RoomHit(room_from_row(row), "played", song)


def _tracks(conn: sqlite3.Connection, plan: Plan, limit: int, offset: int) -> Page[TrackRecord]:
    if plan.tracks is None:
        return Page((), 0, offset)
    sql = (
        "SELECT t.path, t.title, t.artist, t.album, t.genre, t.duration_s, t.mtime_ns, t.size,"
        " count(*) OVER ()"
        f" FROM (SELECT rowid AS id, bm25(tracks_fts, {_TRACK_WEIGHTS}) AS rel FROM tracks_fts"
        "  WHERE tracks_fts MATCH :tracks) hit JOIN tracks t ON t.id = hit.id"
        " ORDER BY hit.rel, t.artist, t.album, t.title, t.path LIMIT :limit OFFSET :offset"
    )
    params = {"tracks": plan.tracks, "limit": limit, "offset": offset}
    return _page(conn, sql, params, offset, lambda row: TrackRecord(*row[:8]))


def _params(plan: Plan, since: float, limit: int, offset: int) -> dict[str, object]:
    return {
        "rooms": plan.rooms,
        "now": plan.now,
        "songs": plan.songs,
        "room_filter": plan.room_filter,
        "since": since,
        "boost": FAVORITE_BOOST,
        "limit": limit,
        "offset": offset,
    }


def _song(values: Sequence[Any]) -> Song | None:
    artist, title, album, at, via = values
    return None if at is None else Song(artist, title, album, at, via)


def _page(
    conn: sqlite3.Connection,
    sql: str,
    params: dict[str, object],
    offset: int,
    convert: Callable[[Sequence[Any]], T],
) -> Page[T]:
    """Run a paged query whose last column is ``count(*) OVER ()``."""
    rows = conn.execute(sql, params).fetchall()
    if rows:
        return Page(tuple(convert(row) for row in rows), rows[0][-1], offset)
    if offset == 0:
        return Page((), 0, offset)
    first = conn.execute(sql, {**params, "limit": 1, "offset": 0}).fetchone()  # past the end
    return Page((), first[-1] if first else 0, offset)
