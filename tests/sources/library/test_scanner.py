"""Scanning a library of real files into a real catalog: first scan, rescans, a stick that is
pulled, files that cannot be read."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from device.catalog import Catalog, TrackRecord
from device.sources.library import (
    LibraryScanner,
    RootScan,
    TrackTags,
    read_track_tags,
    scan_library,
)
from tests.sources.library.sample_library import EXPECTED
from tests.support.music_files import make_garbage, make_track

NOW = 1000.0


class CountingReader:
    """read_track_tags, noting every path it was asked to read."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, path: str) -> TrackTags:
        self.paths.append(path)
        return read_track_tags(path)


def _scan(catalog: Catalog, root: Path, reader: CountingReader | None = None) -> RootScan:
    [result] = scan_library(
        catalog, [str(root)], make_record=TrackRecord, read_tags=reader or read_track_tags
    )
    return result


def _counts(result: RootScan) -> tuple[int, int, int, int]:
    return result.added, result.changed, result.removed, result.unchanged


def _rows(catalog: Catalog, root: Path) -> dict[str, tuple[object, ...]]:
    return {
        os.path.relpath(t.path, root): (
            t.title, t.artist, t.album, t.genre, t.track_number, t.disc_number, t.format
        )
        for t in catalog.tracks_under(str(root))
    }  # fmt: skip


def _titles(catalog: Catalog, query: str) -> set[str]:
    return {t.title for t in catalog.search(query, now=NOW, limit=50).tracks.items}


def test_a_first_scan_catalogs_every_format_with_its_messy_tags(
    catalog: Catalog, music_root: Path
) -> None:
    result = _scan(catalog, music_root)
    assert result.available and result.skipped == ()
    assert _counts(result) == (len(EXPECTED), 0, 0, 0)
    assert _rows(catalog, music_root) == EXPECTED  # hidden, system and non-audio files left out
    for track in catalog.tracks_under(str(music_root)):
        assert 0.45 < track.duration_s < 0.65, track.path  # half a second (mp3 pads a little)
        assert (track.mtime_ns, track.size) == _stamp(track.path)
    assert _titles(catalog, "beyonce") == {"Halo", "If I Were a Boy", "Disappear", "Crazy in Love"}
    assert _titles(catalog, "sigur ros") == {"Hoppípolla", "Glósóli"}
    assert _titles(catalog, "artist:jay") == {"Crazy in Love"}
    assert _titles(catalog, "hoppipolla") == {"Hoppípolla"}
    assert _titles(catalog, "#house") == {"Da Funk"}
    assert _titles(catalog, "field recording") == {"field recording"}  # named after its file


def test_an_album_plays_in_disc_and_track_order(catalog: Catalog, music_root: Path) -> None:
    _scan(catalog, music_root)
    album = catalog.album_tracks("I Am... Sasha Fierce", "Beyoncé")
    assert [t.title for t in album] == ["If I Were a Boy", "Halo", "Disappear"]
    artists = {a.name: (a.albums, a.tracks) for a in catalog.library_overview().artists}
    assert artists["Beyoncé"] == (1, 3) and artists["Beyoncé, Jay-Z"] == (1, 1)


def test_a_rescan_of_an_unchanged_library_reads_no_tags_and_writes_nothing(
    catalog: Catalog, music_root: Path
) -> None:
    _scan(catalog, music_root)
    before = catalog.tracks_under(str(music_root))
    reader = CountingReader()
    result = _scan(catalog, music_root, reader)
    assert reader.paths == []
    assert _counts(result) == (0, 0, 0, len(EXPECTED))
    assert catalog.tracks_under(str(music_root)) == before


def test_a_touched_file_is_read_again_and_the_others_keep_their_records(
    catalog: Catalog, music_root: Path
) -> None:
    _scan(catalog, music_root)
    halo = music_root / "Beyoncé/I Am/03 Halo.opus"
    da_funk = music_root / "Daft Punk/Da Funk.wav"
    others = [t for t in catalog.tracks_under(str(music_root)) if t.path != str(halo)]
    make_track(halo, "opus", seconds=0.5, freq_hz=440.0, tags={"title": "Halo (Live)"})
    stat = da_funk.stat()  # a rewrite that keeps size and time: the scan must not notice
    da_funk.write_bytes(da_funk.read_bytes().replace(b"Da Funk", b"Da Junk"))
    os.utime(da_funk, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    reader = CountingReader()
    result = _scan(catalog, music_root, reader)
    assert reader.paths == [str(halo)]
    assert _counts(result) == (0, 1, 0, len(EXPECTED) - 1)
    assert _titles(catalog, "live") == {"Halo (Live)"}
    assert [t for t in catalog.tracks_under(str(music_root)) if t.path != str(halo)] == others


def test_a_deleted_file_is_removed_and_a_new_one_added(catalog: Catalog, music_root: Path) -> None:
    _scan(catalog, music_root)
    (music_root / "Sigur Rós/Takk/02 Glósóli.ogg").unlink()
    make_track(
        music_root / "Sigur Rós/Takk/Sæglópur.mp3", "mp3", seconds=0.3, freq_hz=330.0,
        tags={"title": "Sæglópur", "artist": "Sigur Rós", "tracknumber": "3/11"},
    )  # fmt: skip
    reader = CountingReader()
    result = _scan(catalog, music_root, reader)
    assert [os.path.basename(path) for path in reader.paths] == ["Sæglópur.mp3"]
    assert _counts(result) == (1, 0, 1, len(EXPECTED) - 1)
    assert _titles(catalog, "sigur ros") == {"Hoppípolla", "Sæglópur"}
    assert _titles(catalog, "saeglopur") == {"Sæglópur"}
    assert catalog.track_count() == len(EXPECTED)


def test_a_missing_root_is_unavailable_and_keeps_its_tracks(
    catalog: Catalog, music_root: Path, library_source: Path
) -> None:
    _scan(catalog, music_root)
    shutil.rmtree(music_root)  # the stick is pulled
    result = _scan(catalog, music_root)
    assert (result.available, _counts(result)) == (False, (0, 0, 0, 0))
    assert catalog.track_count() == len(EXPECTED)
    assert "Halo" in _titles(catalog, "beyonce")
    shutil.copytree(library_source, music_root)  # and back, same files
    reader = CountingReader()
    result = _scan(catalog, music_root, reader)
    assert result.available and _counts(result) == (0, 0, 0, len(EXPECTED))
    assert reader.paths == []


def test_an_empty_mount_point_is_not_mistaken_for_an_empty_stick(
    catalog: Catalog, music_root: Path
) -> None:
    _scan(catalog, music_root)
    shutil.rmtree(music_root)
    music_root.mkdir()  # what usbmount leaves behind: the bare folder on the system disk
    [result] = scan_library(
        catalog, [str(music_root)], make_record=TrackRecord, media_bases=[str(music_root.parent)]
    )
    assert not result.available
    assert catalog.track_count() == len(EXPECTED)


def test_a_missing_root_is_logged_once_and_its_return_too(
    catalog: Catalog, music_root: Path, library_source: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scanner = LibraryScanner(catalog, make_record=TrackRecord)
    shutil.rmtree(music_root)
    with caplog.at_level(logging.INFO, logger="device.sources.library"):
        for _ in range(3):
            scanner.scan([str(music_root)])
        shutil.copytree(library_source, music_root)
        scanner.scan([str(music_root)])
        scanner.scan([str(music_root)])
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        f"library root {music_root} is not available: it does not exist; keeping its tracks",
        f"library root {music_root} is back",
    ]


def test_unreadable_files_are_skipped_with_a_reason_and_the_rest_is_added(
    catalog: Catalog, music_root: Path
) -> None:
    make_garbage(music_root / "broken.mp3", seed=1)
    make_garbage(music_root / "Sigur Rós/broken.flac", seed=2)
    (music_root / "empty.opus").write_bytes(b"")
    result = _scan(catalog, music_root)
    reasons = {os.path.relpath(s.path, music_root): s.reason for s in result.skipped}
    assert set(reasons) == {"broken.mp3", "Sigur Rós/broken.flac", "empty.opus"}
    assert "can't sync to MPEG frame" in reasons["broken.mp3"]
    assert "not a valid FLAC file" in reasons["Sigur Rós/broken.flac"]
    assert "not an audio file" in reasons["empty.opus"]
    assert result.added == len(EXPECTED)
    assert set(_rows(catalog, music_root)) == set(EXPECTED)


def test_a_file_that_turns_corrupt_leaves_the_catalog(catalog: Catalog, music_root: Path) -> None:
    _scan(catalog, music_root)
    make_garbage(music_root / "Daft Punk/Da Funk.wav", size=1000)  # a failed copy over it
    result = _scan(catalog, music_root)
    assert _counts(result) == (0, 0, 1, len(EXPECTED) - 1)
    assert [os.path.basename(s.path) for s in result.skipped] == ["Da Funk.wav"]
    assert _titles(catalog, "da funk") == set()


def test_symbolic_links_neither_loop_nor_leave_the_root(
    catalog: Catalog, music_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copyfile(music_root / "Daft Punk/Da Funk.wav", outside / "outside.wav")
    (music_root / "loop").symlink_to(music_root)  # a folder link back to the root
    (music_root / "escape.wav").symlink_to(outside / "outside.wav")
    (music_root / "favourite.wav").symlink_to(music_root / "Daft Punk/Da Funk.wav")
    result = _scan(catalog, music_root)
    assert result.added == len(EXPECTED) + 1
    assert set(_rows(catalog, music_root)) == {*EXPECTED, "favourite.wav"}


def test_a_file_name_that_is_not_utf8_is_skipped(catalog: Catalog, music_root: Path) -> None:
    legacy_name = os.fsencode(music_root) + b"/caf\xe9.mp3"  # Latin-1, from an old stick
    with open(legacy_name, "wb") as file:
        file.write((music_root / "untagged/voice memo.mp3").read_bytes())
    result = _scan(catalog, music_root)
    assert [(os.path.basename(s.path), s.reason) for s in result.skipped] == [
        ("caf\ufffd.mp3", "the file name is not valid UTF-8")
    ]
    assert result.added == len(EXPECTED)


def _stamp(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


def test_a_root_inside_another_is_scanned_as_part_of_it(catalog: Catalog, music_root: Path) -> None:
    inner = music_root / "Beyoncé"
    results = scan_library(
        catalog, [str(music_root), str(inner), f"{music_root}/"], make_record=TrackRecord
    )
    assert [(r.root, r.added) for r in results] == [(str(music_root), len(EXPECTED))]
    assert catalog.track_stamps(str(inner)) == {}  # every track belongs to the outer root
