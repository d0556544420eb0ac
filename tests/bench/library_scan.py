"""Local library scan: first scan rate and incremental rescan time over 10,000 files.

Run as ``python -m tests.bench.library_scan [--files N]``: prints one JSON object.
:func:`run` returns the same dict for the ``make bench`` suite (about half a minute).

Method: one short real file per format (opus, vorbis, flac, mp3, wav; 0.2 s of tone,
tagged with artist, album, genre and track number but no title) is encoded with ffmpeg,
then copied under :data:`FILES` names in 100 artist folders of 100 files, so every track
gets its own title (from its file name) and the walk has real depth. A catalog on disk is
filled by a first scan (every file's tags read, every track indexed for search, one
commit), then the unchanged library is rescanned :data:`RESCANS` times (a walk, one stamp
query, no tag read, no write) and once more after touching one file (one tag read, one
write of the root's 10,000 records). The file system cache is warm, as on the unit after
the first scan; a cold first walk of a real USB stick is slower and is not measured here.
The goal: an unchanged rescan of 10,000 files in at most 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from device.catalog import Catalog, TrackRecord
from device.sources.library import LibraryScanner, TrackTags, read_track_tags
from tests.support.music_files import FORMATS, SUFFIXES, make_track

FILES = 10_000
FILES_PER_FOLDER = 100
RESCANS = 3
GOAL_RESCAN_S = 2.0


class _CountingReader:
    """read_track_tags, counting its calls and the time spent in them."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, path: str) -> TrackTags:
        self.calls += 1
        started = time.perf_counter()
        try:
            return read_track_tags(path)
        finally:
            self.seconds += time.perf_counter() - started


def build_library(folder: Path, files: int) -> list[Path]:
    """``files`` real audio files under ``folder`` (copies of one seed per format)."""
    seeds = []
    for number, fmt in enumerate(FORMATS):
        tags = {"artist": f"Seed Artist {number}", "album": "Bench", "genre": "Test"}
        tags["tracknumber"] = f"{number + 1}/{len(FORMATS)}"
        seed = folder / f"seed{SUFFIXES[fmt]}"
        seeds.append(make_track(seed, fmt, seconds=0.2, freq_hz=440.0, tags=tags))
    root = folder / "usb"
    paths = []
    for index in range(files):
        seed = seeds[index % len(seeds)]
        artist = root / f"Artist {index // FILES_PER_FOLDER:03d}"
        if index % FILES_PER_FOLDER == 0:
            artist.mkdir(parents=True)
        path = artist / f"Track {index:05d}{seed.suffix}"
        shutil.copyfile(seed, path)
        paths.append(path)
    return paths


def run(files: int = FILES) -> dict[str, Any]:
    """Build the library and catalog in a temporary directory, measure, return the figures."""
    with tempfile.TemporaryDirectory(prefix="library-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        paths = build_library(folder, files)
        build_s = time.perf_counter() - started
        root = str(folder / "usb")
        reader = _CountingReader()
        with Catalog(folder / "catalog.db") as catalog:
            scanner = LibraryScanner(catalog, make_record=TrackRecord, read_tags=reader)
            [first] = scanner.scan([root])
            first_reads, first_reading_s = reader.calls, reader.seconds
            rescans = []
            for _ in range(RESCANS):
                [rescan] = scanner.scan([root])
                rescans.append(rescan)
            rescan_reads = reader.calls - first_reads
            os.utime(paths[files // 2])  # one file touched: read again, root rewritten
            [one_changed] = scanner.scan([root])
            found = catalog.search("track 05000", now=0.0).tracks.total
            tracks = catalog.track_count()
        rescan_s = [scan.seconds for scan in rescans]
        return {
            "files": files,
            "formats": list(FORMATS),
            "build_s": round(build_s, 2),
            "first_scan_s": round(first.seconds, 3),
            "first_scan_files_per_s": round(files / first.seconds),
            "first_scan_tags_read": first_reads,
            "first_scan_reading_tags_s": round(first_reading_s, 3),
            "rescan_unchanged_s": {
                "median": round(statistics.median(rescan_s), 3),
                "max": round(max(rescan_s), 3),
            },
            "rescan_unchanged_tags_read": rescan_reads,
            "rescan_one_changed_s": round(one_changed.seconds, 3),
            "goal_rescan_s": GOAL_RESCAN_S,
            "met": max(rescan_s) <= GOAL_RESCAN_S,
            "catalogued": tracks,
            "skipped": len(first.skipped),
            "search_finds_one_track": found == 1,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES)
    args = parser.parse_args()
    print(json.dumps(run(args.files), indent=2))


if __name__ == "__main__":
    main()
