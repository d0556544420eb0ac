"""Search: one query, three ranked groups — live rooms, rooms that recently played it, tracks.

Live rooms come in the tiers of :class:`~device.catalog.plan.Plan` (playing it now > name,
hashtags or genres match > matched elsewhere), each walked in search-key order: favorites,
then listeners (see :mod:`device.catalog.index`). The recent group holds rooms whose
history has a matching song in the window and that are not playing it live now (those lead
the live group): live ones first, then favorites, then the most recent. Room-side terms
(``#tag``, ``genre:``) filter it; song-side terms must match the song itself. Tracks come in
index order (the order they were scanned).

Each group reads only its page, so a keystroke costs about the same for ``d`` (40,000
matches) as for ``daft punk``. Counting is bounded too: a total beyond :data:`COUNT_CAP`
stops there and the page says ``capped`` ("1000+"). The recent group looks at the newest
:data:`SCAN_CAP` matching plays only (``capped`` when there were more).

Functions are reads (run them in one read transaction); nothing here raises on query text.
"""

from __future__ import annotations

import sqlite3

from device.catalog.index import LIVE_KEY_MIN, room_id_of, time_key
from device.catalog.plan import Plan, Vocabulary
from device.catalog.query import Term
from device.catalog.records import Page, RoomHit, SearchResults, Song, TrackRecord
from device.catalog.rooms import rooms_by_id
from device.catalog.tracks import TRACK_COLUMNS

__all__ = ["COUNT_CAP", "SCAN_CAP", "rooms_that_played", "search"]

COUNT_CAP = 1000
SCAN_CAP = 200


def search(
    conn: sqlite3.Connection, query: str, since: float, limit: int, offset: int
) -> SearchResults:
    plan = Plan.of(query, Vocabulary(conn))
    return SearchResults(
        query=query,
        live_rooms=_live_rooms(conn, plan, limit, offset),
        recent_rooms=_played_rooms(conn, plan, since, limit, offset, exclude_playing_live=True),
        tracks=_tracks(conn, plan, limit, offset),
    )


def rooms_that_played(
    conn: sqlite3.Connection, query: str, since: float, limit: int, offset: int
) -> Page[RoomHit]:
    """Rooms (live or not) that played a song matching ``query`` at or after ``since``."""
    plan = Plan.of(query, Vocabulary(conn))
    return _played_rooms(conn, plan, since, limit, offset, exclude_playing_live=False)


def _count(conn: sqlite3.Connection, table: str, expression: str, min_rowid: int, cap: int) -> int:
    """How many rows match, counting no further than ``cap + 1`` (more than ``cap``)."""
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ? AND rowid >= ?"
        " LIMIT ?)",
        (expression, min_rowid, cap + 1),
    ).fetchone()
    return int(row[0])


def _rowids(
    conn: sqlite3.Connection,
    table: str,
    expression: str,
    min_rowid: int,
    limit: int,
    offset: int,
    order: str,
) -> list[int]:
    rows = conn.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? AND rowid >= ?"
        f" ORDER BY rowid {order} LIMIT ? OFFSET ?",
        (expression, min_rowid, limit, offset),
    )
    return [row[0] for row in rows]


def _live_rooms(conn: sqlite3.Connection, plan: Plan, limit: int, offset: int) -> Page[RoomHit]:
    """Tiers in order, each read only as far as the page reaches; a room already shown in
    an earlier tier is skipped. A tier is read past only once it ran out, so every room of
    the earlier tiers is then known."""
    if plan.live is None:
        return Page((), 0, offset)
    shown: set[int] = set()
    picked: list[tuple[int, bool]] = []
    skip = offset
    for expression, playing in plan.live_tiers:
        wanted = skip + limit - len(picked)
        keys = _rowids(conn, "rooms_fts", expression, LIVE_KEY_MIN, wanted + len(shown), 0, "DESC")
        fresh = [key for key in keys if key not in shown]
        picked += [(room_id_of(key), playing) for key in fresh[skip:wanted]]
        if len(picked) == limit:
            break
        skip = max(0, skip - len(fresh))
        shown.update(fresh)
    total, capped = _total(conn, "rooms_fts", plan.live, LIVE_KEY_MIN, offset, len(picked), limit)
    found = rooms_by_id(conn, [room_id for room_id, _ in picked])
    hits = []
    for room_id, playing in picked:
        room = found[room_id]
        song = room.now_playing if playing else None
        hits.append(RoomHit(room, "playing" if playing else "room", song))
    return Page(tuple(hits), total, offset, capped)


def _total(
    conn: sqlite3.Connection,
    table: str,
    expression: str,
    min_rowid: int,
    offset: int,
    found: int,
    limit: int,
) -> tuple[int, bool]:
    """(total, capped) of a match whose page from ``offset`` held ``found`` of ``limit``."""
    if found < limit and (found or not offset):  # the page reached the end: no need to count
        return offset + found, False
    cap = max(COUNT_CAP, offset + limit)
    count = _count(conn, table, expression, min_rowid, cap)
    return min(count, cap), count > cap


def _played_rooms(
    conn: sqlite3.Connection,
    plan: Plan,
    since: float,
    limit: int,
    offset: int,
    *,
    exclude_playing_live: bool,
) -> Page[RoomHit]:
    if plan.plays is None:
        return Page((), 0, offset)
    scan = max(SCAN_CAP, 4 * (offset + limit))
    room_filter, filter_params = _room_side_filter(plan.room_terms)
    # The newest ``scan`` matching plays in the window (a backwards walk of time keys), each
    # room's latest of them, minus rooms playing it live now, best first. MATERIALIZED: as
    # co-routines the steps run at twice the cost.
    sql = (
        "WITH m AS MATERIALIZED (SELECT rowid AS key FROM plays_fts WHERE plays_fts MATCH :plays"
        "  AND rowid >= :since_key ORDER BY rowid DESC LIMIT :scan),"
        " latest AS MATERIALIZED (SELECT p.room_id, max(m.key) AS key, p.id AS play_id"
        "  FROM m CROSS JOIN plays p ON p.fts_rowid = m.key WHERE p.at >= :since"
        "  GROUP BY p.room_id)"
        " SELECT latest.room_id, latest.play_id, count(*) OVER (), (SELECT count(*) FROM m)"
        " FROM latest CROSS JOIN rooms r ON r.id = latest.room_id"
        " LEFT JOIN favorites fav ON fav.url = r.url"
        f" WHERE NOT (:exclude AND r.live AND r.now_play_id IS latest.play_id){room_filter}"
        " ORDER BY r.live DESC, fav.url IS NOT NULL DESC, latest.key DESC"
        " LIMIT :limit OFFSET :offset"
    )
    params = {
        "plays": plan.plays,
        "since_key": time_key(since),
        "since": since,
        "scan": scan,
        "exclude": exclude_playing_live,
        "limit": limit,
        "offset": offset,
        **filter_params,
    }
    rows = conn.execute(sql, params).fetchall()
    if not rows and offset:  # past the end: how many were there?
        rows_all = conn.execute(sql, {**params, "limit": 1, "offset": 0}).fetchall()
        total, scanned = (rows_all[0][2], rows_all[0][3]) if rows_all else (0, 0)
    else:
        total, scanned = (rows[0][2], rows[0][3]) if rows else (0, 0)
    found = rooms_by_id(conn, [row[0] for row in rows])
    songs = _songs(conn, [row[1] for row in rows])
    hits = tuple(RoomHit(found[row[0]], "played", songs[row[1]]) for row in rows)
    return Page(hits, total, offset, scanned >= scan)


def _room_side_filter(terms: tuple[Term, ...]) -> tuple[str, dict[str, str]]:
    """SQL requiring a room (``r``) to carry the ``#tag``s and ``genre:`` words of ``terms``,
    read from ``room_tags`` (an FTS probe per room would re-parse the query each time)."""
    clauses: list[str] = []
    params: dict[str, str] = {}
    for number, term in enumerate(terms):
        name = f"room_term_{number}"
        if term.field == "tag":  # one word: the tag key
            key = term.words[0]
            if term.prefix:
                test = f"t.key >= :{name} AND t.key < :{name}_end"
                params[f"{name}_end"] = key + "\U0010ffff"
            else:
                test = f"t.key = :{name}"
            params[name] = key
            kind = "hashtag"
        else:  # genre words, as a run of words in one genre key ("hip hop")
            test = f"(' ' || t.key || ' ') LIKE :{name}"
            params[name] = "% " + " ".join(term.words) + ("%" if term.prefix else " %")
            kind = "genre"
        clauses.append(
            f" AND EXISTS (SELECT 1 FROM room_tags t WHERE t.room_id = r.id"
            f" AND t.kind = '{kind}' AND {test})"
        )
    return "".join(clauses), params


def _songs(conn: sqlite3.Connection, play_ids: list[int]) -> dict[int, Song]:
    rows = conn.execute(
        "SELECT p.id, s.artist, s.title, s.album, p.at, p.via FROM plays p"
        f" JOIN songs s ON s.id = p.song_id WHERE p.id IN ({', '.join('?' * len(play_ids))})",
        play_ids,
    )
    return {row[0]: Song(*row[1:]) for row in rows}


def _tracks(conn: sqlite3.Connection, plan: Plan, limit: int, offset: int) -> Page[TrackRecord]:
    if plan.tracks is None:
        return Page((), 0, offset)
    ids = _rowids(conn, "tracks_fts", plan.tracks, 0, limit, offset, "ASC")
    total, capped = _total(conn, "tracks_fts", plan.tracks, 0, offset, len(ids), limit)
    rows = conn.execute(
        f"SELECT id, {TRACK_COLUMNS} FROM tracks WHERE id IN ({', '.join('?' * len(ids))})",
        ids,
    ).fetchall()
    by_id = {row[0]: TrackRecord(*row[1:]) for row in rows}
    return Page(tuple(by_id[track_id] for track_id in ids), total, offset, capped)
