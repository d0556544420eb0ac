"""A query as the FTS5 expressions search runs: which fields each term may match, in tiers.

A room's live-group tier says why it matched, best first: it plays the match now (its
current song matches every song-side term: plain words, ``artist:``, ``song:``,
``album:``), its name, hashtags or genres match, or it matched elsewhere (description).
``#tag`` and ``genre:`` are room-side: they never match a song. Field names are the token
marks of :mod:`device.catalog.index`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from device.catalog.index import (
    MARK_ALBUM,
    MARK_ARTIST,
    MARK_GENRE,
    MARK_NAME,
    MARK_TAG,
    MARK_TITLE,
    PLAIN,
    PREFIX_INDEXED_CHARS,
)
from device.catalog.query import Expand, Field, Term, fts_expression, parse

__all__ = ["MAX_EXPANSION", "Plan", "Vocabulary"]

MAX_EXPANSION = 32  # more words than this start the prefix: let FTS5 merge them
_SONG_FIELDS: tuple[Field, ...] = ("any", "artist", "song", "album")
# Which index fields (token marks) each query field matches, per use.
_SONG_MARKS: dict[Field, tuple[str, ...]] = {
    "any": (PLAIN,),
    "artist": (MARK_ARTIST,),
    "song": (MARK_TITLE,),
    "album": (MARK_ALBUM,),
}
_NOW_MARKS: dict[Field, tuple[str, ...]] = {
    **_SONG_MARKS,
    "any": (MARK_ARTIST, MARK_TITLE, MARK_ALBUM),
}
_ROOM_MARKS: dict[Field, tuple[str, ...]] = {
    **_SONG_MARKS,
    "tag": (MARK_TAG,),
    "genre": (MARK_GENRE,),
}
_STRONG_MARKS: dict[Field, tuple[str, ...]] = {
    "any": (MARK_NAME, MARK_TAG, MARK_GENRE),
    "tag": (MARK_TAG,),
    "genre": (MARK_GENRE,),
}
_TRACK_MARKS: dict[Field, tuple[str, ...]] = {**_ROOM_MARKS, "tag": (MARK_GENRE,)}


@dataclass(frozen=True)
class Plan:
    """A parsed query as MATCH expressions (None: that part cannot match anything)."""

    live: str | None  # every term, against room text and the song playing now
    live_tiers: tuple[tuple[str, bool], ...]  # (expression, playing the match), best first
    plays: str | None  # song-side terms against songs heard
    room_terms: tuple[Term, ...]  # room-side terms (#tag, genre:), to filter played rooms
    tracks: str | None

    @classmethod
    def of(cls, query: str, expand: Expand) -> Plan:
        terms = parse(query)
        song_side = [term for term in terms if term.field in _SONG_FIELDS]
        room_side = tuple(term for term in terms if term.field not in _SONG_FIELDS)
        every = fts_expression(terms, _ROOM_MARKS, expand)
        tiers: list[tuple[str, bool]] = []
        if every is not None and song_side and all(t.field != "any" for t in song_side):
            tiers.append((every, True))  # artist:/song:/album: match only the song playing
        elif every is not None:
            now = fts_expression(song_side, _NOW_MARKS, expand)
            if now is not None:  # playing it: the song matches the song-side terms
                tiers.append((f"({every}) AND ({now})" if room_side else now, True))
            strong = fts_expression(terms, _STRONG_MARKS, expand)
            if strong is not None:  # name, hashtags or genres match (a subset of every)
                tiers.append((strong, False))
            tiers.append((every, False))
        return cls(
            live=every,
            live_tiers=tuple(tiers),
            plays=fts_expression(song_side, _SONG_MARKS, expand),
            room_terms=room_side,
            tracks=fts_expression(terms, _TRACK_MARKS, expand),
        )


class Vocabulary:
    """Expands long prefix tokens into the indexed terms they start (see ``search_terms``
    in :mod:`device.catalog.index`); one per search, remembering what it looked up."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._known: dict[str, list[str] | None] = {}

    def __call__(self, token: str) -> list[str] | None:
        if len(token) <= PREFIX_INDEXED_CHARS:
            return None  # FTS5's prefix index answers it directly
        if token not in self._known:
            rows = self._conn.execute(
                "SELECT term FROM search_terms WHERE term >= ? AND term < ? LIMIT ?",
                (token, token + "\U0010ffff", MAX_EXPANSION + 1),
            ).fetchall()
            self._known[token] = None if len(rows) > MAX_EXPANSION else [row[0] for row in rows]
        return self._known[token]
