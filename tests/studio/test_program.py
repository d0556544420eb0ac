"""The synthesised programme: deterministic, music and talk, quiet pauses, content band."""

from __future__ import annotations

import numpy as np
import pytest

from studio import pilot
from studio.program import FRAME_SAMPLES, RATE_HZ, Programme
from studio.rooms import DEMO_ROOMS, RoomSpec, Song

TALK = Song("Host", "On air", "Live", "talk")
MUSIC = Song("Band", "Tune", "Album")


def _programme(*songs: Song, seed: int = 7, song_s: float = 4.0) -> Programme:
    return Programme(songs, seed=seed, signature_hz=610.0, song_s=song_s)


def _frame_levels_dbfs(pcm: bytes) -> list[float]:
    frame_bytes = FRAME_SAMPLES * 4
    return [pilot.rms_dbfs(pcm[i : i + frame_bytes]) for i in range(0, len(pcm), frame_bytes)]


def _quiet_runs_ms(levels: list[float], below_dbfs: float) -> list[float]:
    runs, current = [], 0
    for level in [*levels, 0.0]:
        if level < below_dbfs:
            current += 1
        elif current:
            runs.append(current * 20.0)
            current = 0
    return runs


def test_same_seed_same_samples_other_seed_other_samples() -> None:
    a = _programme(MUSIC, TALK).pcm(0, 8 * RATE_HZ)
    assert a == _programme(MUSIC, TALK).pcm(0, 8 * RATE_HZ)
    assert a != _programme(MUSIC, TALK, seed=8).pcm(0, 8 * RATE_HZ)


def test_blocks_rendered_in_any_order_join_up_exactly() -> None:
    programme = _programme(MUSIC, TALK, song_s=1.0)
    whole = _programme(MUSIC, TALK, song_s=1.0).pcm(0, 3 * RATE_HZ)
    starts = list(range(0, 3 * RATE_HZ, 7_000))
    pieces = {start: programme.pcm(start, 7_000) for start in reversed(starts)}
    assert b"".join(pieces[start] for start in starts)[: len(whole)] == whole


def test_talk_has_real_pauses_between_phrases_and_music_has_none() -> None:
    talk = _frame_levels_dbfs(_programme(TALK, song_s=8.0).pcm(0, 8 * RATE_HZ))
    music = _frame_levels_dbfs(_programme(MUSIC, song_s=8.0).pcm(0, 8 * RATE_HZ))
    pauses = _quiet_runs_ms(talk, below_dbfs=-50.0)
    # A 150-600 ms pause holds at least 5 whole quiet 20 ms frames once fades and a marker
    # burst landing in it are counted out.
    assert len([p for p in pauses if p >= 100]) >= 3, pauses
    assert max(pauses) <= 600
    assert min(music) > -40.0
    assert np.median([lvl for lvl in talk if lvl > -50]) > -30.0  # speech is not faint


def test_talk_is_modulated_at_syllable_rate() -> None:
    pcm = _programme(TALK, song_s=8.0).pcm(0, 8 * RATE_HZ)
    mono = np.frombuffer(pcm, "<i2").astype(float).reshape(-1, 2).mean(axis=1)
    envelope = np.abs(mono[: mono.size // 480 * 480]).reshape(-1, 480).mean(axis=1)  # 100 Hz
    spectrum = np.abs(np.fft.rfft(envelope - envelope.mean()))
    freqs = np.fft.rfftfreq(envelope.size, 0.01)
    band = (freqs > 1.0) & (freqs < 12.0)
    assert 3.0 <= freqs[band][np.argmax(spectrum[band])] <= 6.0


def test_music_is_stereo_and_below_the_marker_band() -> None:
    pcm = _programme(MUSIC).pcm(RATE_HZ // 2, RATE_HZ // 2)  # between markers
    stereo = np.frombuffer(pcm, "<i2").astype(float).reshape(-1, 2)
    assert np.abs(stereo[:, 0] - stereo[:, 1]).mean() > 100  # notes are panned
    spectrum = np.abs(np.fft.rfft(stereo.mean(axis=1)))
    freqs = np.fft.rfftfreq(stereo.shape[0], 1 / RATE_HZ)
    assert spectrum[freqs > 2_700].max() < 0.01 * spectrum.max()


def test_songs_follow_the_playlist_and_repeat() -> None:
    programme = _programme(MUSIC, TALK, song_s=2.0)
    assert programme.song_at(0) == (0, MUSIC)
    assert programme.song_at(2 * RATE_HZ) == (1, TALK)
    assert programme.song_at(4 * RATE_HZ + 5) == (2, MUSIC)


def test_song_length_is_whole_frames() -> None:
    assert _programme(MUSIC, song_s=1.01).song_samples % FRAME_SAMPLES == 0
    with pytest.raises(ValueError, match="song_s"):
        _programme(MUSIC, song_s=0.001)


def test_demo_rooms_are_distinct_and_tagged() -> None:
    assert len(DEMO_ROOMS) >= 3
    assert len({room.mount for room in DEMO_ROOMS}) == len(DEMO_ROOMS)
    signatures = sorted(room.signature_hz for room in DEMO_ROOMS)
    assert min(np.diff(signatures)) >= 60
    for room in DEMO_ROOMS:
        assert room.hashtags and room.genre
        assert all(song.artist and song.title and song.album for song in room.playlist)
        assert {song.kind for song in room.playlist} == {"music", "talk"}


def test_room_spec_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="mount"):
        RoomSpec("no-slash", "n", "d", "g", (MUSIC,), 500.0)
    with pytest.raises(ValueError, match="song"):
        RoomSpec("/x", "n", "d", "g", (), 500.0)
    with pytest.raises(ValueError, match="kind"):
        Song("a", "t", "al", "poetry")  # type: ignore[arg-type]
