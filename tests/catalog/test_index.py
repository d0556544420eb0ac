"""The search indexes kept in step, write by write, equal indexes rebuilt from the facts."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from device.catalog import Catalog, HistoryLimits
from device.catalog.index import rebuild
from device.catalog.store import connect, transaction
from tests.catalog.factories import SOURCE, room, track, url

OTHER = "icecast:http://other.example:8000"


def _snapshot(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(
                f"SELECT rowid, words, fields FROM {table} ORDER BY rowid"
            ).fetchall()
            for table in ("rooms_fts", "plays_fts", "tracks_fts")
        } | {
            "room_keys": conn.execute("SELECT id, fts_rowid FROM rooms ORDER BY id").fetchall(),
            "play_keys": conn.execute("SELECT id, fts_rowid FROM plays ORDER BY id").fetchall(),
            "terms": conn.execute("SELECT term FROM search_terms ORDER BY term").fetchall(),
        }
    finally:
        conn.close()


def _a_busy_life(catalog: Catalog) -> None:
    catalog.update_rooms(
        SOURCE,
        [room(f"r{n}", f"Room {n}", f"#tag{n % 3} words {n}", ("Jazz",), n * 7) for n in range(8)],
        now=0.0,
    )
    catalog.update_rooms(OTHER, [room("o", "Other", "#other", source=OTHER)], now=0.0)
    for n in range(12):
        catalog.record_song(url(f"r{n % 4}"), f"Artist {n % 5}", f"Title {n}", "", n * 60.0, "peek")
    catalog.record_song(url("r1"), "", "", "", 800.0, "inband")  # unknown: now-playing cleared
    catalog.record_song("http://typed.example/", "Björk", "Jóga", "", 900.0, "inband")
    catalog.set_favorite(url("r2"), True, at=1.0)
    catalog.set_favorite(url("r3"), True, at=1.0)
    catalog.set_favorite(url("r3"), False)
    catalog.update_rooms(  # renames, listener changes, r5-r7 off air, r0 changes text
        SOURCE,
        [room("r0", "Renamed", "#fresh"), *(room(f"r{n}", f"Room {n}", f"#tag{n % 3} words {n}",
                                                ("Jazz",), n * 700) for n in range(1, 5))],
        now=4000.0,
    )  # fmt: skip
    for n in range(6):
        catalog.record_song(url(f"r{n}"), "Late Artist", f"Late {n}", "Album", 4100.0 + n, "peek")
    catalog.update_rooms(SOURCE, [room("r5", "Room 5", "back", ("Jazz",), 3)], now=5000.0)
    catalog.update_tracks(
        "/m", [track(f"{n}.flac", f"Song {n}", "Artist", root="/m") for n in range(5)]
    )
    catalog.update_tracks("/m", [track("1.flac", "Song One", "Artist", root="/m", mtime_ns=9)])
    catalog.prune(now=5500.0)  # keep_s of an hour: the early plays go; r6, r7 are forgotten
    catalog.set_favorite(url("r5"), True, at=5600.0)  # live rooms, and last: no refresh
    catalog.set_favorite(url("o"), True, at=5600.0)  # re-keys them after
    catalog.set_favorite(url("o"), False)


def test_incremental_indexes_equal_rebuilt_ones(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    limits = HistoryLimits(keep_s=3600.0, plays_per_room=2, room_keep_s=1000.0)
    with Catalog(path, limits=limits) as catalog:
        _a_busy_life(catalog)
    kept = _snapshot(path)
    copy = tmp_path / "rebuilt.db"
    shutil.copy(path, copy)
    conn = connect(copy)
    with transaction(conn):
        rebuild(conn)
    conn.close()
    rebuilt = _snapshot(copy)
    for table in ("rooms_fts", "plays_fts", "tracks_fts", "room_keys", "play_keys"):
        assert kept[table] == rebuilt[table], table
    assert set(rebuilt["terms"]) <= set(kept["terms"])  # kept may remember words gone since
    assert kept["rooms_fts"] and kept["plays_fts"] and kept["tracks_fts"]  # not vacuous
