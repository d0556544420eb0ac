"""The file itself: pragmas, migrations from older schemas, refusals with clear messages."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from device.catalog import Catalog, CatalogError, Preset
from device.catalog.schema import SCHEMA_VERSION
from device.catalog.store import connect, migrate, schema_version


def test_a_new_catalog_is_durable_and_current(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_connections_use_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    conn = connect(tmp_path / "catalog.db")
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def _write_v1_catalog(path: Path) -> None:
    """A catalog as schema version 1 left it, with one of everything in it."""
    conn = connect(path)
    assert migrate(conn, up_to=1) == 1
    conn.executescript(
        """
        INSERT INTO rooms(id, url, name, description, genres, hashtags, listeners, source, live)
        VALUES (1, 'http://old.example/jazz', 'Café Jazz', 'Smooth #jazz', '["Jazz"]', '["jazz"]',
                40, 'icecast:http://old.example', 1);
        INSERT INTO room_tags VALUES (1, 'hashtag', 'jazz', 'jazz', 1);
        INSERT INTO songs VALUES (1, 'k', 'Beyoncé', 'Halo', 'I Am');
        INSERT INTO plays VALUES (1, 1, 1, 1000.0, 'peek');
        UPDATE rooms SET now_play_id = 1 WHERE id = 1;
        INSERT INTO tracks VALUES (1, '/media/usb/halo.flac', '/media/usb/', 'Halo', 'Beyoncé',
                                   'I Am', 'Pop', 261.0, 5, 9000);
        INSERT INTO favorites VALUES ('http://old.example/jazz', 900.0);
        INSERT INTO presets VALUES (2, 'artist', 'Beyoncé', 'Queen B');
        """
    )
    conn.execute(
        "INSERT INTO settings VALUES ('resume', ?)",
        (json.dumps({"source_kind": "room", "target": "http://old.example/jazz",
                     "position_s": 0.0, "mode": "road", "volume": 35}),),
    )  # fmt: skip
    conn.close()


def test_a_version_1_catalog_migrates_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    _write_v1_catalog(path)
    with Catalog(path) as catalog:
        found = catalog.search("beyonce", now=1100.0)
        assert [hit.room.url for hit in found.live_rooms.items] == ["http://old.example/jazz"]
        assert found.live_rooms.items[0].match == "playing"
        assert [hit.room.name for hit in found.recent_rooms.items] == []  # playing it live now
        assert [t.path for t in found.tracks.items] == ["/media/usb/halo.flac"]
        assert catalog.search("#jazz", now=1100.0).live_rooms.total == 1
        assert catalog.rooms_that_played("artist:beyo", since=0.0).total == 1
        assert [room.url for room in catalog.favorites().items] == ["http://old.example/jazz"]
        assert catalog.presets()[1] == Preset(2, "artist", "Beyoncé", "Queen B")
        resume = catalog.load_resume()
        assert resume is not None and (resume.mode, resume.volume) == ("road", 35)
        assert catalog.track_count() == 1
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_catalog_from_newer_software_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(CatalogError, match="newer than this software"):
        Catalog(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with pytest.raises(CatalogError, match="not a usable"):
        Catalog(path)


def test_a_closed_catalog_says_so(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.db")
    catalog.close()
    catalog.close()  # closing twice is fine
    with pytest.raises(CatalogError, match="closed"):
        catalog.presets()


def test_a_failed_write_leaves_nothing_behind(catalog: Catalog) -> None:
    from tests.catalog.factories import room

    good, bad = room("a"), room("b", source="icecast:http://elsewhere")
    with pytest.raises(ValueError, match="elsewhere"):
        catalog.update_rooms(good.source, [good, bad], now=1.0)
    assert catalog.live_rooms().total == 0


def test_threads_can_share_one_catalog(catalog: Catalog) -> None:
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            for step in range(30):
                catalog.set_favorite(f"http://x.example/{number}/{step}", True, at=float(step))
                catalog.search(f"x{number}", now=1.0)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert catalog.favorites(limit=500).total == 120
