"""Schema version 3: tracks know their place in an album and their format; the player's
queries (an album in order, an artist's tracks, the library's artists and albums)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from device.catalog import Catalog, TrackRecord, index
from device.catalog.records import LibraryAlbum, LibraryArtist
from device.catalog.schema import SCHEMA_VERSION
from device.catalog.store import connect, migrate, schema_version
from tests.catalog.factories import track

NOW = 1000.0


def _song(name: str, title: str, artist: str, album: str, disc: int, number: int) -> TrackRecord:
    return replace(
        track(name, title, artist, album), disc_number=disc, track_number=number, format="flac"
    )


def _write_v2_catalog(path: Path) -> None:
    """A catalog as schema version 2 left it: tracks without numbers or format, indexed."""
    conn = connect(path)
    assert migrate(conn, up_to=2) == 2
    conn.executescript(
        """
        INSERT INTO tracks(id, path, root, title, artist, album, genre, duration_s, mtime_ns, size)
        VALUES (1, '/media/usb/halo.flac', '/media/usb/', 'Halo', 'Beyoncé', 'I Am', 'Pop',
                261.0, 5, 9000),
               (2, '/media/usb/hoppipolla.opus', '/media/usb/', 'Hoppípolla', 'Sigur Rós',
                'Takk...', '', 270.5, 7, 8000);
        """
    )
    index.rebuild(conn)  # as version 2 indexed them
    conn.close()


def test_a_version_2_catalog_keeps_its_tracks_and_rescans_their_tags(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    _write_v2_catalog(path)
    with Catalog(path) as catalog:
        assert catalog.track_count() == 2
        halo = catalog.track_by_path("/media/usb/halo.flac")
        assert halo == TrackRecord(
            "/media/usb/halo.flac", "Halo", "Beyoncé", "I Am", "Pop", 261.0, 0, 9000, 0, 0, ""
        )
        found = catalog.search("sigur ros", now=NOW).tracks.items
        assert [t.title for t in found] == ["Hoppípolla"]
        # Stamps zeroed: the next scan re-reads these files for their numbers and format.
        assert catalog.track_stamps("/media/usb") == {
            "/media/usb/halo.flac": (0, 9000),
            "/media/usb/hoppipolla.opus": (0, 8000),
        }
        rescan = [replace(halo, mtime_ns=5, track_number=1, format="flac")]
        catalog.update_tracks("/media/usb", rescan)
        assert catalog.track_by_path("/media/usb/halo.flac") == rescan[0]
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION == 3
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_album_plays_disc_by_disc_in_track_order(catalog: Catalog) -> None:
    catalog.update_tracks(
        "/media/usb",
        [
            _song("b/10.flac", "Ten", "Band", "Double", 1, 10),
            _song("b/2.flac", "Two", "Band", "Double", 1, 2),
            _song("b/d2-1.flac", "Disc Two One", "Band", "Double", 2, 1),
            _song("b/untracked-b.flac", "Untracked B", "Band", "Double", 0, 0),
            _song("b/untracked-a.flac", "Untracked A", "Band", "Double", 0, 0),
            _song("c/1.flac", "Cover", "Other Band", "Double", 1, 1),  # same album name
        ],
    )
    titles = [t.title for t in catalog.album_tracks("Double", "Band")]
    assert titles == ["Untracked A", "Untracked B", "Two", "Ten", "Disc Two One"]
    assert len(catalog.album_tracks("Double")) == 6  # any artist: a compilation
    assert catalog.album_tracks("double", "Band") == []  # names as the overview lists them
    assert catalog.album_tracks("Nope") == []


def test_an_artists_tracks_come_album_by_album(catalog: Catalog) -> None:
    catalog.update_tracks(
        "/media/usb",
        [
            _song("1.flac", "Halo", "Beyoncé", "I Am", 1, 3),
            _song("2.flac", "Crazy", "Beyoncé", "dangerously", 1, 1),
            _song("3.flac", "If I Were", "Beyoncé", "I Am", 1, 1),
            _song("4.flac", "Single", "Beyoncé", "", 0, 0),
            _song("5.flac", "Elsewhere", "Jay-Z", "I Am", 1, 2),
        ],
    )
    titles = [t.title for t in catalog.artist_tracks("Beyoncé")]
    assert titles == ["Single", "Crazy", "If I Were", "Halo"]
    assert catalog.artist_tracks("beyonce") == []


def test_the_library_overview_sorts_ignoring_case_and_accents(catalog: Catalog) -> None:
    catalog.update_tracks(
        "/media/usb",
        [
            _song("1.flac", "a", "beyoncé", "I Am", 1, 1),
            _song("2.flac", "b", "beyoncé", "I Am", 1, 2),
            _song("3.flac", "c", "beyoncé", "4", 1, 1),
            _song("4.flac", "d", "Ásgeir", "In the Silence", 1, 1),
            _song("5.flac", "e", "Björk", "homogenic", 1, 1),
            _song("6.flac", "f", "", "", 0, 0),
            _song("7.flac", "g", "Björk", "", 0, 0),
        ],
    )
    overview = catalog.library_overview()
    assert overview.artists == (
        LibraryArtist("", 0, 1),
        LibraryArtist("Ásgeir", 1, 1),
        LibraryArtist("beyoncé", 2, 3),
        LibraryArtist("Björk", 1, 2),
    )
    assert overview.albums == (
        LibraryAlbum("4", "beyoncé", 1),
        LibraryAlbum("homogenic", "Björk", 1),
        LibraryAlbum("I Am", "beyoncé", 2),
        LibraryAlbum("In the Silence", "Ásgeir", 1),
    )


def test_track_by_path(catalog: Catalog) -> None:
    halo = _song("halo.flac", "Halo", "Beyoncé", "I Am", 1, 3)
    catalog.update_tracks("/media/usb", [halo])
    assert catalog.track_by_path("/media/usb/halo.flac") == halo
    assert catalog.track_by_path("/media/usb/other.flac") is None
    with pytest.raises(TypeError, match="path"):
        catalog.track_by_path(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"track_number": -1}, "track_number"),
        ({"track_number": "3/12"}, "track_number"),
        ({"disc_number": 1.0}, "disc_number"),
        ({"format": "aac"}, "format"),
    ],
)
def test_new_track_fields_are_validated(changes: dict, field: str) -> None:
    with pytest.raises((TypeError, ValueError), match=field):
        replace(track("a.opus"), **changes)
