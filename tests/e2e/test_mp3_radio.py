"""MP3 internet radio end to end: an MP3 station on a real Icecast → engine → output."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.pilot import dominant_frequency
from tests.e2e.engine_harness import start_engine
from tests.support.mp3_source import Mp3Station, make_mp3_tone

pytestmark = pytest.mark.icecast


def test_an_mp3_station_plays_like_a_room(tmp_path, icecast):
    mp3 = make_mp3_tone(tmp_path / "station.mp3", 700.0).read_bytes()
    host, port = "127.0.0.1", icecast.port
    station = Mp3Station(host, port, "/radio.mp3", icecast.source_password, mp3, "Radio Tone")
    capture = tmp_path / "heard.raw"

    async def scenario():
        engine, recorder = await start_engine(tmp_path, f"file:{capture}")
        try:
            await asyncio.sleep(1.0)  # the station is on the air, Icecast holds a burst
            await engine.player.join(icecast.mount_url("/radio.mp3"))
            await recorder.wait_for_state("playing", timeout_s=8)
            await asyncio.sleep(3.0)
            return recorder, engine.player.stats()
        finally:
            await engine.close()

    try:
        recorder, stats = asyncio.run(scenario())
    finally:
        station.close()
    assert "error" not in recorder.state_names, recorder.states
    assert [title for _, _, title, _ in recorder.now_playing][:1] == ["Radio Tone"]
    pcm = capture.read_bytes()
    samples = np.frombuffer(pcm, "<i2")
    audible = samples[np.abs(samples) > 300]
    assert len(audible) > 2 * 48_000, "less than a second of the station was heard"
    tail = pcm[-2 * 48_000 * 4 :]  # the last two seconds
    assert abs(dominant_frequency(tail, band_hz=(200.0, 1200.0)) - 700.0) < 5
    assert stats.underruns == 0 and stats.gap_ms == 0, stats
