"""The relay source: bytes the phone passes on play like the room's own stream, and garbage
on the audio characteristic never takes the player down."""

from __future__ import annotations

import asyncio
import random

from device.audio.outputs import open_output
from device.core.player import Player
from studio.chain import write_file
from studio.rooms import DEMO_ROOMS
from tests.e2e.engine_harness import Recorder


def test_garbage_relayed_then_a_real_stream_plays(tmp_path):
    song = tmp_path / "song.opus"
    write_file(song, DEMO_ROOMS[0], seconds=2.0, song_s=1.0)
    stream = song.read_bytes()
    rng = random.Random(3)
    garbage = [rng.randbytes(rng.randint(1, 1024)) for _ in range(2000)]
    # Mutated real pages: the parser meets plausible headers with wrong CRCs and lengths.
    for _ in range(2000):
        start = rng.randrange(0, len(stream) - 512)
        chunk = bytearray(stream[start : start + rng.randint(1, 512)])
        for _ in range(rng.randint(1, 8)):
            chunk[rng.randrange(len(chunk))] = rng.randrange(256)
        garbage.append(bytes(chunk))

    async def scenario():
        player = Player(open_output("null"), mode="road")  # all of it plays, none skipped
        recorder = Recorder()
        player.add_listener(recorder)
        await player.start()
        try:
            await player.start_relay("phone")
            for chunk in garbage:
                player.feed_relay(chunk)
            after_garbage = player.snapshot().state
            await player.start_relay("phone")  # the phone starts over, as after a broken link
            for start in range(0, len(stream), 1000):
                player.feed_relay(stream[start : start + 1000])
            await recorder.wait_for_state("playing")
            return after_garbage, recorder.now_playing
        finally:
            await player.close()

    after_garbage, announced = asyncio.run(scenario())
    assert after_garbage in ("buffering", "playing", "error")  # never an exception out of feed
    assert announced, "the real stream's song was never announced"
