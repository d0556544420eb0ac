"""Local music: incremental updates per library root."""

from __future__ import annotations

import pytest

from device.catalog import Catalog, TrackUpdate
from tests.catalog.factories import track

NOW = 1000.0


def _titles(catalog: Catalog, query: str) -> list[str]:
    return [found.title for found in catalog.search(query, now=NOW, limit=50).tracks.items]


def test_a_rescan_adds_changes_and_removes_under_its_root_only(catalog: Catalog) -> None:
    first = [track("a.flac", "Alpha"), track("b.flac", "Beta"), track("c.flac", "Gamma")]
    assert catalog.update_tracks("/media/usb", first) == TrackUpdate(3, 0, 0, 0)
    assert catalog.update_tracks("/media/sd/", [track("x.opus", "Xi", root="/media/sd")]) == (
        TrackUpdate(1, 0, 0, 0)
    )
    rescan = [
        track("a.flac", "Alpha"),  # unchanged
        track("b.flac", "Beta Remastered", mtime_ns=2),  # re-tagged
        track("d.flac", "Delta"),  # new; c.flac is gone
    ]
    assert catalog.update_tracks("/media/usb/", rescan) == TrackUpdate(1, 1, 1, 1)
    assert catalog.track_count() == 4
    assert _titles(catalog, "gamma") == []
    assert _titles(catalog, "remastered") == ["Beta Remastered"]
    assert _titles(catalog, "xi") == ["Xi"]
    assert catalog.track_stamps("/media/usb") == {
        "/media/usb/a.flac": (1, 4_000_000),
        "/media/usb/b.flac": (2, 4_000_000),
        "/media/usb/d.flac": (1, 4_000_000),
    }
    assert catalog.update_tracks("/media/usb", []) == TrackUpdate(0, 0, 3, 0)  # stick pulled
    assert catalog.track_count() == 1


def test_messy_tags_are_searchable(catalog: Catalog) -> None:
    catalog.update_tracks(
        "/media/usb",
        [
            track("1.mp3", "", "", "", ""),  # no tags at all
            track("2.mp3", "Jóga", "Björk", "Homogenic", "Electronic"),
            track("3.mp3", "Jóga (Live)", "BJÖRK; Björk", "", "electronic"),
        ],
    )
    assert sorted(_titles(catalog, "bjork")) == ["Jóga", "Jóga (Live)"]
    assert _titles(catalog, "artist:bjork genre:electronic") == ["Jóga", "Jóga (Live)"]


def test_a_track_outside_the_root_is_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="not under the library root"):
        catalog.update_tracks("/media/usb", [track("a.flac", root="/media/usbstick")])
    with pytest.raises(ValueError, match="library root"):
        catalog.update_tracks("", [])
    assert catalog.track_count() == 0


def test_track_pages(catalog: Catalog) -> None:
    catalog.update_tracks("/m", [track(f"{n:02d}.opus", f"Love {n}", root="/m") for n in range(25)])
    first = catalog.search("love", now=NOW, limit=10).tracks
    last = catalog.search("love", now=NOW, limit=10, offset=20).tracks
    assert (first.total, len(first.items), last.total, len(last.items)) == (25, 10, 25, 5)
    assert first.items[0].title == "Love 0"  # in scan order
