"""Power-cut durability: kill -9 a writing process at random moments, many times.

After every kill the database must pass ``PRAGMA integrity_check`` and hold every change
whose write returned (was acknowledged) before the kill. A write in flight may or may not
be there, but never half of it. SIGKILL leaves what the kernel has; the fsyncs that make the
same true across a real power cut are ``synchronous=FULL`` (see ``device.catalog.store``).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from device.catalog import Catalog
from tests.catalog.durability_writer import preset_slot, song_room

REPO_ROOT = Path(__file__).resolve().parents[2]
KILLS = 30
SEED = 4
WRITES_APART = 1_000_000  # first id of each run: ids keep rising across runs


class Acked:
    """What the writers acknowledged, across all runs."""

    def __init__(self) -> None:
        self.presets: dict[int, int] = {}  # slot: last id written there
        self.favorites: set[int] = set()
        self.songs: dict[str, list[int]] = {}  # room: ids, in order
        self.resume = -1
        self.count = 0

    def add(self, line: str) -> None:
        _, kind, number = line.split()
        write_id = int(number)
        self.count += 1
        if kind == "preset":
            self.presets[preset_slot(write_id)] = write_id
        elif kind == "favorite":
            self.favorites.add(write_id)
        elif kind == "song":
            self.songs.setdefault(song_room(write_id), []).append(write_id)
        else:
            self.resume = write_id


def _run_writer_and_kill(path: Path, first_id: int, rng: random.Random, acked: Acked) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.catalog.durability_writer", str(path), str(first_id)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert writer.stdout is not None
    try:
        if rng.random() < 0.2:  # sometimes while it opens (and creates or migrates)
            time.sleep(rng.uniform(0.0, 0.15))  # the random moment is the test, not a wait
        else:
            first = writer.stdout.readline()  # wait until it writes, then a random moment
            acked.add(first)
            time.sleep(rng.uniform(0.0, 0.05))
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    for line in writer.stdout.read().splitlines(keepends=True):
        if line.endswith("\n"):  # a line cut short was never an acknowledgement
            acked.add(line)
    writer.stdout.close()


def _check(path: Path, acked: Acked) -> None:
    if not path.exists():  # killed before it created the file
        assert acked.count == 0
        return
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    with Catalog(path) as catalog:
        presets = catalog.presets()
        for slot, write_id in acked.presets.items():
            stored = presets[slot - 1]
            assert stored is not None, f"preset {slot} lost"
            assert int(stored.target.rsplit("/", 1)[1]) >= write_id, f"preset {slot} went back"
        favorites = {room.url for room in catalog.favorites(limit=500).items}
        while len(favorites) < catalog.favorites(limit=1).total:
            page = catalog.favorites(limit=500, offset=len(favorites))
            favorites |= {room.url for room in page.items}
        missing = [n for n in acked.favorites if f"http://durable.example/fav/{n}" not in favorites]
        assert missing == [], f"acknowledged favorites lost: {missing[:5]}"
        for room, ids in acked.songs.items():
            song = catalog.now_playing(room)
            assert song is not None and int(song.title.split()[1]) >= ids[-1], f"{room} lost"
        resume = catalog.load_resume()
        if acked.resume >= 0:
            assert resume is not None and int(resume.target.rsplit("/", 1)[1]) >= acked.resume


def _every_song_is_in_the_history(path: Path, acked: Acked) -> None:
    with Catalog(path) as catalog:
        for ids in acked.songs.values():
            for write_id in ids:
                found = catalog.rooms_that_played(f'song:"song {write_id}"', since=0.0)
                assert found.total == 1, f"acknowledged song {write_id} lost"


def test_every_acknowledged_write_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    rng = random.Random(SEED)
    acked = Acked()
    for run in range(KILLS):
        _run_writer_and_kill(path, 1 + run * WRITES_APART, rng, acked)
        _check(path, acked)
    _every_song_is_in_the_history(path, acked)
    assert acked.count > KILLS  # the writers did get to write, many times
    assert len(acked.songs) > 1 and len(acked.presets) == 4
