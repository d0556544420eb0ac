"""End to end: room source → real Icecast → engine → output, checking what a listener hears.

The studio's programme carries a pilot (studio.pilot): a signature tone per room and a 3 kHz
marker at every whole second of programme time. Finding the markers in the captured output
one second apart, at a steady offset from when the source produced them, shows the audio
arrived intact, in order and in time.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from studio import pilot
from studio.rooms import DEMO_ROOMS
from tests.e2e.engine_harness import start_engine

pytestmark = pytest.mark.icecast
RATE = 48_000
SNAPSHOT_SLACK_MS = 140


async def _play_room(tmp_path, room_source, seconds, room=DEMO_ROOMS[0], output=None):
    source = room_source(room, song_s=1.0)
    capture = tmp_path / "heard.raw"
    engine, recorder = await start_engine(tmp_path, output or f"file:{capture}")
    try:
        await engine.player.join(source.mount_url)
        await recorder.wait_for_state("playing")
        await asyncio.sleep(seconds)
    finally:
        await engine.close()
    return source, engine, recorder, capture.read_bytes() if capture.exists() else b""


def test_live_room_is_heard_with_its_pilot_in_time(tmp_path, room_source):
    room = DEMO_ROOMS[0]
    source, engine, recorder, pcm = asyncio.run(_play_room(tmp_path, room_source, 4.0, room))

    assert recorder.state_names[:2] == ["connecting", "buffering"]
    assert "playing" in recorder.state_names
    audible = pcm[len(pcm) // 8 :]
    assert abs(pilot.dominant_frequency(audible) - room.signature_hz) < 5

    markers = pilot.find_markers(pcm)
    assert len(markers) >= 3, markers
    spacing = [b - a for a, b in itertools.pairwise(markers)]
    # One second of programme between markers, to within 1 ms: nothing skipped or repeated.
    assert all(abs(gap - RATE) <= 48 for gap in spacing), spacing

    # When each marker was heard, relative to when the source produced that second: a steady
    # offset (the lag) below a second, the same one the engine's lag meter reports.
    first_heard = engine.output.first_block_monotonic
    heard_at = [first_heard + m / RATE - source._start_mono for m in markers]
    phases = [t % 1.0 for t in heard_at]
    assert max(phases) - min(phases) < 0.03, phases
    lag_ms = [s.lag_ms for s in recorder.stats if s.lag_ms >= 0]
    assert lag_ms and 0 < lag_ms[-1] < 1000
    assert abs(((lag_ms[-1] / 1000) - phases[-1] + 0.5) % 1.0 - 0.5) < 0.06


def test_chained_songs_are_announced_as_they_play(tmp_path, room_source):
    source, _engine, recorder, _pcm = asyncio.run(_play_room(tmp_path, room_source, 3.5))

    titles = [title for _, _, title, _ in recorder.now_playing]
    sent = [song.title for _, song in source.links]
    assert len(titles) >= 3
    # Announced in the order the source chained them, none invented, none repeated.
    start = sent.index(titles[0])
    assert titles == sent[start : start + len(titles)]
    # One song per second of source: the announcements follow the audio, one second apart.
    times = [t for t, *_ in recorder.now_playing]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(0.8 < gap < 1.2 for gap in gaps), gaps
    artists = {artist for _, artist, _, _ in recorder.now_playing}
    assert artists <= {song.artist for song in DEMO_ROOMS[0].playlist}


def test_road_mode_keeps_the_server_burst(tmp_path, room_source):
    source = room_source(DEMO_ROOMS[1], song_s=1.0)
    time.sleep(3.0)  # let Icecast hold a few seconds of burst for the new listener

    async def scenario():
        engine, recorder = await start_engine(
            tmp_path, "null", audio={"mode": "road", "output": "null"}
        )
        try:
            await engine.player.join(source.mount_url)
            await recorder.wait_for_state("playing")
            await asyncio.sleep(0.5)
            return engine.player.stats()
        finally:
            await engine.close()

    stats = asyncio.run(scenario())
    # Icecast's default 64 KB burst is several seconds at 96 kb/s; road mode keeps it all.
    assert stats.depth_ms > 2000, stats
    assert stats.skipped_ms == 0


def test_room_plays_through_real_portaudio_in_time(tmp_path, room_source, monkeypatch):
    """Room source → Icecast → engine → PortAudio → ALSA, captured at a sound card's pace."""
    from tests.audio.conftest_outputs import open_capture

    room = DEMO_ROOMS[2]
    capture = open_capture(tmp_path, monkeypatch)
    try:
        _, engine, recorder, _ = asyncio.run(
            _play_room(tmp_path, room_source, 4.0, room, output="pyaudio")
        )
    finally:
        capture.close()
    pcm = capture.captured()

    assert engine.output.spec.startswith("pyaudio")
    audible = pcm[len(pcm) // 4 :]
    assert abs(pilot.dominant_frequency(audible) - room.signature_hz) < 5
    markers = pilot.find_markers(pcm)
    assert len(markers) >= 3, markers
    spacing = [b - a for a, b in itertools.pairwise(markers)]
    assert all(abs(gap - RATE) <= 48 for gap in spacing), spacing
    assert recorder.stats and recorder.stats[-1].gap_ms == 0


def test_road_mode_grows_its_buffer_in_talk_pauses_without_gaps(tmp_path, room_source):
    # Songs of 3 s, the first one talk: its pauses are where the buffer may grow.
    source = room_source(DEMO_ROOMS[1], song_s=3.0)

    async def scenario():
        engine, recorder = await start_engine(tmp_path, "null", audio={"mode": "road"})
        try:
            await engine.player.join(source.mount_url)
            await recorder.wait_for_state("playing")
            start = engine.player.stats()
            await asyncio.sleep(4.0)
            return start, engine.player.stats()
        finally:
            await engine.close()

    start, later = asyncio.run(scenario())
    assert later.stretched_ms > 0
    # Each stretch is depth gained. A snapshot of the depth may be short of it by what sits
    # unread in the socket (reads every 60 ms once the burst is in) plus what the output has
    # already rendered ahead (up to 3 blocks): 120 ms, plus a frame of rounding.
    assert later.depth_ms >= start.depth_ms + later.stretched_ms - SNAPSHOT_SLACK_MS
    assert later.gap_ms == 0
