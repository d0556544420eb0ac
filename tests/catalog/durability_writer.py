"""A process that writes to a catalog as fast as it can and acknowledges each commit.

Run as ``python -m tests.catalog.durability_writer DB FIRST_ID``. Writes, in turn, a preset,
a favorite, a song heard and the resume state, each tagged with a rising id from FIRST_ID,
and prints ``ack KIND ID`` (flushed) after the method returned, i.e. after the commit was
durable. ``test_durability`` kills it with SIGKILL at random moments; every acknowledged id
must then be in the database.
"""

from __future__ import annotations

import itertools
import sys

from device.catalog import Catalog, ResumeState

ROOMS = 50


def preset_slot(write_id: int) -> int:
    return 1 + (write_id // 4) % 4


def song_room(write_id: int) -> str:
    return f"http://durable.example/room/{write_id % ROOMS}"


def write(catalog: Catalog, write_id: int) -> str:
    kind = write_id % 4
    if kind == 0:
        catalog.set_preset(preset_slot(write_id), "room", f"http://durable.example/{write_id}", "")
        return "preset"
    if kind == 1:
        catalog.set_favorite(f"http://durable.example/fav/{write_id}", True, at=float(write_id))
        return "favorite"
    if kind == 2:
        title = f"Song {write_id}"
        catalog.record_song(song_room(write_id), "Artist", title, "", float(write_id), "peek")
        return "song"
    state = ResumeState("room", f"http://durable.example/{write_id}", 1.5, "road", write_id % 101)
    catalog.save_resume(state)
    return "resume"


def main(path: str, first_id: int) -> None:
    catalog = Catalog(path)
    for write_id in itertools.count(first_id):
        kind = write(catalog, write_id)
        sys.stdout.write(f"ack {kind} {write_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
