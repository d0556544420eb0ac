"""The driver's own state: presets, resume, recently played."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.catalog import Catalog, Played, Preset, ResumeState
from tests.catalog.factories import SOURCE, room, track, url


def test_presets_set_replace_clear(catalog: Catalog) -> None:
    assert catalog.presets() == [None, None, None, None]
    catalog.set_preset(1, "room", url("a"), "Morning")
    catalog.set_preset(3, "artist", "Daft Punk", "")
    catalog.set_preset(1, "album", "Homework", "Homework")  # replaces slot 1
    assert catalog.presets() == [
        Preset(1, "album", "Homework", "Homework"),
        None,
        Preset(3, "artist", "Daft Punk", ""),
        None,
    ]
    catalog.clear_preset(3)
    catalog.clear_preset(4)  # already empty: fine
    assert catalog.presets()[2:] == [None, None]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, "room", "http://x/", ""), r"1\.\.4"),
        ((5, "room", "http://x/", ""), r"1\.\.4"),
        ((True, "room", "http://x/", ""), r"1\.\.4"),
        ((1, "podcast", "http://x/", ""), "kind"),
        ((1, "room", " ", ""), "target"),
    ],
)
def test_bad_presets_are_refused(catalog: Catalog, args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        catalog.set_preset(*args)
    with pytest.raises(ValueError, match=r"1\.\.4"):
        catalog.clear_preset(9)


def test_resume_state_round_trips_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    state = ResumeState("track", "/media/usb/a.flac", 93.25, "road", 42)
    with Catalog(path) as catalog:
        assert catalog.load_resume() is None
        catalog.save_resume(ResumeState("room", url("a"), 0.0, "live", 50))
        catalog.save_resume(state)
    with Catalog(path) as catalog:
        assert catalog.load_resume() == state


def test_unusable_resume_state_means_start_idle(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    Catalog(path).close()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO settings VALUES ('resume', '{\"source_kind\": \"tape\"}')")
    conn.commit()
    conn.close()
    with Catalog(path) as catalog:
        assert catalog.load_resume() is None


def test_recently_played_labels_rooms_and_tracks_newest_first(catalog: Catalog) -> None:
    catalog.update_rooms(SOURCE, [room("a", "Alpha Radio")], now=1.0)
    catalog.update_tracks("/media/usb", [track("x.flac", "Halo", "Beyoncé")])
    catalog.note_played(url("a"), 10.0)
    catalog.note_played("/media/usb/x.flac", 20.0)
    catalog.note_played("http://typed.example/", 30.0)
    catalog.note_played(url("a"), 40.0)  # again: moves to the top
    played = catalog.recently_played()
    assert played.total == 3
    assert played.items == (
        Played(url("a"), "room", "Alpha Radio", 40.0),
        Played("http://typed.example/", "other", "http://typed.example/", 30.0),
        Played("/media/usb/x.flac", "track", "Beyoncé \u2013 Halo", 20.0),
    )
    assert catalog.recently_played(limit=1, offset=2).items[0].kind == "track"
    with pytest.raises(ValueError, match="finite"):
        catalog.note_played(url("a"), float("inf"))
