"""The music queue over real files: order, skipping what will not play, next/previous, shuffle.

The queue is pulled as the render thread would, item by item; which file each item came from
is told by the tone it carries (each track is a different WAV tone).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from device.audio.playout import PullKind
from device.core.music_queue import MusicQueue, QueuedTrack
from device.sources.music_files import open_music_feed
from studio.pilot import dominant_frequency
from tests.support.music_files import make_track

TONES = [300.0, 500.0, 700.0, 900.0]


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("album")
    made = []
    for number, tone in enumerate(TONES, start=1):
        path = make_track(
            folder / f"{number}.wav", "wav", seconds=4.0, freq_hz=tone, tags={}, sample_rate=48000
        )
        made.append(QueuedTrack(str(path), title=f"Song {number}"))
    return made


def open_track(track: QueuedTrack, frame: int):
    return open_music_feed(track.path, tags=track.tags, start_frame=frame)


def tone_of(item) -> int:
    pcm = bytes(item.pcm)
    assert np.abs(np.frombuffer(pcm, "<i2")).max() > 300
    return round(dominant_frequency(pcm, band_hz=(200.0, 1200.0)), -2)


def pull_seconds(queue: MusicQueue, seconds: float) -> list[int]:
    """Tones of the items pulled over ``seconds`` of audio, one entry per item."""
    heard, frames = [], 0
    while frames < seconds * 48_000:
        item = queue.pull()
        if item is None:
            break
        assert item.kind is PullKind.PCM
        heard.append(tone_of(item))
        frames += item.samples
    return heard


def test_tracks_play_back_to_back_and_each_is_announced_once(tracks):
    queue = MusicQueue(tracks[:2], open_track)
    items = []
    while (item := queue.pull()) is not None:
        items.append(item)
    assert queue.ended
    assert sum(item.samples for item in items) == 2 * 4 * 48_000  # nothing lost, nothing added
    announced = [item.new_stream.tags["TITLE"] for item in items if item.new_stream]
    assert announced == ["Song 1", "Song 2"]


def test_a_track_that_will_not_open_is_skipped_and_reported(tracks, tmp_path):
    missing = QueuedTrack(str(tmp_path / "pulled-out.flac"), title="Gone")
    queue = MusicQueue([tracks[0], missing, tracks[2]], open_track, start_index=1)
    assert queue.current()[1] == tracks[2]  # the first playable one from the start index
    assert [path for path, _ in queue.problems] == [missing.path]
    assert set(pull_seconds(queue, 1.0)) == {700}


def test_a_queue_where_nothing_plays_is_refused(tmp_path):
    gone = [QueuedTrack(str(tmp_path / f"{n}.mp3")) for n in range(3)]
    with pytest.raises(ValueError, match="none of the 3 tracks can be played"):
        MusicQueue(gone, open_track)


def test_next_previous_and_restart(tracks):
    queue = MusicQueue(tracks, open_track)
    pull_seconds(queue, 0.5)
    queue.next()
    assert set(pull_seconds(queue, 0.5)) == {500}
    queue.previous()  # 0.5 s into song 2: back to song 1
    assert set(pull_seconds(queue, 3.5)) == {300}
    queue.previous()  # 3.5 s into song 1 (past RESTART_PREVIOUS_S): song 1 again from 0
    assert pull_seconds(queue, 0.1)[0] == 300
    assert queue.current()[2] == pytest.approx(0.1, abs=0.03)
    queue.next()
    queue.next()
    queue.next()
    with pytest.raises(ValueError, match="last track"):
        queue.next()
    assert set(pull_seconds(queue, 0.2)) == {900}


def test_shuffle_keeps_the_current_track_and_off_restores_the_order(tracks):
    queue = MusicQueue(tracks, open_track, start_index=1, rng=random.Random(4))
    pull_seconds(queue, 0.2)
    queue.set_shuffle(True)
    order = queue.upcoming()
    assert order[0] == tracks[1] and sorted(order, key=tracks.index) == tracks
    assert order != [tracks[1], tracks[0], tracks[2], tracks[3]]  # really shuffled (seeded)
    assert set(pull_seconds(queue, 0.2)) == {500}  # nothing audible changed
    queue.next()
    assert set(pull_seconds(queue, 0.2)) == {round(TONES[tracks.index(order[1])], -2)}
    playing = queue.current()[1]
    queue.set_shuffle(False)
    assert queue.upcoming() == tracks
    assert queue.current()[1] == playing


def test_resume_in_a_file_that_cannot_seek_drops_what_came_before(tracks, tmp_path):
    opus = make_track(tmp_path / "t.opus", "opus", seconds=2.0, freq_hz=400.0, tags={})
    queue = MusicQueue([QueuedTrack(str(opus), title="T")], open_track, start_frame=48_000)
    first = queue.pull()
    assert first is not None and first.new_stream is not None  # still announced
    assert queue.current()[2] == pytest.approx(1.0, abs=0.05)
    frames = first.samples
    while (item := queue.pull()) is not None:
        frames += item.samples
    assert frames == pytest.approx(48_000, abs=2 * 960)
