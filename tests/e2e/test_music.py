"""Local music end to end: a real library on disk → scan → control socket → the output.

The album is three one-second tones in three formats (FLAC, MP3, Vorbis at 44.1 kHz, so
they are decoded and resampled), tagged in album order but named out of order on disk.
What reaches the file output tells the story: which tone, for how long, with what gaps.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from device.control_client import CommandFailed, ControlClient
from device.protocol import Browse, Library, Next, PresetPlay, PresetSet, Queue, Status
from studio.pilot import dominant_frequency
from tests.e2e.engine_harness import start_engine
from tests.support.music_files import make_track

RATE = 48_000
ALBUM = "Takk…"
ARTIST = "Sigur Rós"
TONES = {1: 440.0, 2: 660.0, 3: 880.0}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("stick")
    for number, fmt, name in ((1, "flac", "c.flac"), (2, "mp3", "a.mp3"), (3, "vorbis", "b.ogg")):
        tags = {"title": f"Song {number}", "artist": ARTIST, "album": ALBUM}
        tags["tracknumber"] = f"{number}/3"
        make_track(root / name, fmt, seconds=1.0, freq_hz=TONES[number], tags=tags)
    make_track(root / "other.wav", "wav", seconds=0.5, freq_hz=300.0, tags={"artist": "Björk"})
    return root


async def _engine(tmp_path, library, capture, **catalog):
    engine, recorder = await start_engine(
        tmp_path,
        f"file:{capture}",
        catalog={"path": str(tmp_path / "catalog.sqlite"), "library": [str(library)], **catalog},
    )
    await asyncio.wait_for(engine.catalog.refreshed.wait(), 15)
    client = ControlClient(engine.config.engine.socket_path)
    await client.connect()
    return engine, recorder, client


def _tones_heard(pcm: bytes, step_s: float = 0.05) -> list[tuple[float, float]]:
    """(seconds, dominant Hz or 0 for silence) for each step of the capture."""
    samples = np.frombuffer(pcm, dtype="<i2")
    step = int(step_s * RATE) * 2
    heard = []
    for start in range(0, len(samples) - step + 1, step):
        chunk = samples[start : start + step]
        loud = np.abs(chunk).max() > 300
        freq = dominant_frequency(chunk.tobytes(), band_hz=(200.0, 1200.0)) if loud else 0.0
        heard.append((start / 2 / RATE, freq))
    return heard


def _runs(heard: list[tuple[float, float]]) -> list[tuple[int, float]]:
    """Consecutive steps of the same tone: (tone Hz rounded to 10, seconds)."""
    runs: list[tuple[int, float]] = []
    for _, freq in heard:
        tone = round(freq, -1)
        if runs and runs[-1][0] == tone:
            runs[-1] = (tone, runs[-1][1] + 0.05)
        else:
            runs.append((tone, 0.05))
    return runs


def test_an_album_is_found_and_plays_in_order_without_gaps(tmp_path, library):
    capture = tmp_path / "heard.raw"

    async def scenario():
        engine, recorder, client = await _engine(tmp_path, library, capture)
        try:
            artists = (await client.request(Library(what="artists"))).data
            albums = (await client.request(Library(what="albums", artist=ARTIST))).data
            queue = (await client.request(Queue(kind="album", target=ALBUM))).data
            await recorder.wait_for_state("playing")
            await recorder.wait_for_state("idle", timeout_s=8)
            return artists, albums, queue, recorder.now_playing
        finally:
            await client.close()
            await engine.close()

    artists, albums, queue, announced = asyncio.run(scenario())
    assert {(a["ar"], a["nt"]) for a in artists["items"]} == {(ARTIST, 3), ("Björk", 1)}
    assert albums["items"] == [{"al": ALBUM, "ar": ARTIST, "nt": 3}]
    assert [item["t"] for item in queue["items"]] == ["Song 1", "Song 2", "Song 3"]
    assert queue["now"] == 0
    assert [title for _, _, title, _ in announced] == ["Song 1", "Song 2", "Song 3"]

    runs = [run for run in _runs(_tones_heard(capture.read_bytes())) if run[0] or run[1] > 0.06]
    tones = [tone for tone, _ in runs if tone]
    assert tones == [440, 660, 880], runs
    # Gapless: no silence between the songs (a 50 ms step that straddles a change is mixed).
    inner = runs[[t for t, _ in runs].index(440) : [t for t, _ in runs].index(880) + 1]
    assert all(tone for tone, _ in inner), runs
    for tone, seconds in runs:
        if tone:
            assert 0.85 <= seconds <= 1.1, runs


def test_next_skips_and_a_restart_resumes_the_track_where_it_was(tmp_path, library):
    first, second = tmp_path / "first.raw", tmp_path / "second.raw"

    async def first_drive():
        engine, recorder, client = await _engine(tmp_path, library, first)
        try:
            with pytest.raises(CommandFailed, match="no local music is playing"):
                await client.request(Next())
            await client.request(Queue(kind="album", target=ALBUM))
            await recorder.wait_for_state("playing")
            await asyncio.sleep(0.3)
            await client.request(Next())  # to song 2 at once
            await asyncio.sleep(0.6)  # song 2 plays 0.6 s, then the ignition goes off
            return (await client.request(Status())).data
        finally:
            await client.close()
            await engine.close()

    async def next_drive():
        engine, recorder, client = await _engine(tmp_path, library, second)
        try:
            assert await engine.resume()  # what drivetime-unit engine does at start
            await recorder.wait_for_state("playing")
            state = (await client.request(Status())).data
            await recorder.wait_for_state("idle", timeout_s=5)
            return state
        finally:
            await client.close()
            await engine.close()

    state = asyncio.run(first_drive())
    assert state["room"].endswith("a.mp3")
    tones = [tone for tone, _ in _runs(_tones_heard(first.read_bytes())) if tone]
    assert tones[:2] == [440, 660], tones

    resumed = asyncio.run(next_drive())
    assert resumed["room"].endswith("a.mp3")
    runs = [run for run in _runs(_tones_heard(second.read_bytes())) if run[0]]
    # Song 2 from about where it stopped (0.6 s in: 0.4 s left), then song 3 whole.
    assert [tone for tone, _ in runs] == [660, 880], runs
    assert 0.2 <= runs[0][1] <= 0.6, runs


def test_album_and_artist_presets_play_the_music(tmp_path, library):
    capture = tmp_path / "heard.raw"

    async def scenario():
        engine, recorder, client = await _engine(tmp_path, library, capture)
        try:
            await client.request(PresetSet(slot=3, kind="album", target=ALBUM, label="Takk"))
            await client.request(PresetSet(slot=4, kind="artist", target="Björk"))
            await client.request(PresetPlay(slot=3))
            await recorder.wait_for_state("playing")
            album_queue = (await client.request(Queue())).data
            await client.request(PresetPlay(slot=4))
            artist_queue = (await client.request(Queue())).data
            presets = (await client.request(Browse(what="presets"))).data
            return album_queue, artist_queue, presets
        finally:
            await client.close()
            await engine.close()

    album_queue, artist_queue, presets = asyncio.run(scenario())
    assert [item["t"] for item in album_queue["items"]] == ["Song 1", "Song 2", "Song 3"]
    assert [item["p"].rsplit("/", 1)[1] for item in artist_queue["items"]] == ["other.wav"]
    assert [(p["s"], p["k"], p["n"]) for p in presets["items"]] == [
        (3, "album", "Takk"),
        (4, "artist", "Björk"),
    ]
