"""MusicFileFeed: real Vorbis, FLAC, MP3 and WAV files from ffmpeg, played through the real
renderer, checked by ear (dominant frequency per channel), by length and by byte."""

from __future__ import annotations

import logging
import os
import re
import shutil
import wave

import numpy as np
import pytest

from device.audio.music_decoder import SUPPORTED_SUFFIXES, MusicFileError, MusicFileFeed
from device.audio.playout import PullKind
from tests.audio.music_fixtures import (
    BLOCK_FRAMES,
    BYTES_PER_FRAME,
    LEFT_HZ,
    RATE,
    RIGHT_HZ,
    make_mono_tone,
    make_two_tone,
    play,
)

FORMATS = (".flac", ".ogg", ".mp3", ".wav")
TWO_SECONDS = 2 * RATE
TAGS = {"TITLE": "Two Tones", "ARTIST": "The Oscillators", "ALBUM": "Test Signals"}


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    """name → path of the module's generated files (tests that damage one copy it first)."""
    folder = tmp_path_factory.mktemp("music")
    files = {f"tones{suffix}": make_two_tone(folder / f"tones{suffix}") for suffix in FORMATS}
    files["tones48.wav"] = make_two_tone(folder / "tones48.wav", rate=48_000)
    files["mono.ogg"] = make_mono_tone(folder / "mono.ogg")
    files["no_lame_header.mp3"] = make_two_tone(
        folder / "no_lame_header.mp3", extra=("-write_xing", "0")
    )
    return files


@pytest.fixture
def damaged(music, tmp_path):
    """A private copy of a generated file, free to truncate or delete."""

    def copy(name: str):
        return shutil.copy(music[name], tmp_path / name)

    return copy


def decode_all(feed: MusicFileFeed) -> np.ndarray:
    pcm = bytearray()
    while (item := feed.pull()) is not None:
        pcm += item.pcm
    return np.frombuffer(bytes(pcm), dtype="<i2").reshape(-1, 2)


def assert_hears(heard, tones: tuple[float, float], start_s: float, end_s: float) -> None:
    assert heard.frequency(0, start_s, end_s) == pytest.approx(tones[0], abs=2)
    assert heard.frequency(1, start_s, end_s) == pytest.approx(tones[1], abs=2)


def test_supported_suffixes_are_the_four_formats():
    assert set(SUPPORTED_SUFFIXES) == {".ogg", ".oga", ".flac", ".mp3", ".wav"}


@pytest.mark.parametrize("suffix", FORMATS)
def test_plays_each_format_in_stereo_at_48k_for_its_whole_length(music, suffix):
    feed = MusicFileFeed(music[f"tones{suffix}"], tags=TAGS)
    assert feed.duration_frames == TWO_SECONDS  # 44.1 kHz file, counted at 48 kHz

    heard = play(feed)

    assert abs(heard.frames - TWO_SECONDS) <= BLOCK_FRAMES
    assert_hears(heard, (LEFT_HZ[0], RIGHT_HZ[0]), 0.1, 0.9)  # left stays left
    assert_hears(heard, (LEFT_HZ[1], RIGHT_HZ[1]), 1.1, 1.9)
    assert feed.frames_played == heard.frames
    assert feed.error is None
    [info] = heard.streams  # now playing announced once, at the start
    assert info.codec == "pcm" and info.channels == 2
    assert info.now_playing == {
        "title": "Two Tones",
        "artist": "The Oscillators",
        "album": "Test Signals",
    }


def test_hands_out_20ms_items_and_announces_only_with_the_first(music):
    feed = MusicFileFeed(music["tones.flac"])
    items = []
    while (item := feed.pull()) is not None:
        items.append(item)
    assert feed.pull() is None  # and stays ended

    assert {item.kind for item in items} == {PullKind.PCM}
    assert [item.samples for item in items[:-1]] == [BLOCK_FRAMES] * (len(items) - 1)
    assert all(len(item.pcm) == item.samples * BYTES_PER_FRAME for item in items)
    assert sum(item.samples for item in items) == TWO_SECONDS
    assert items[0].new_stream is not None
    assert items[0].new_stream.tags == {"TITLE": "tones"}  # no tags given: the file name
    assert all(item.new_stream is None for item in items[1:])


def test_a_48k_16bit_wav_plays_bit_exact(music):
    with wave.open(str(music["tones48.wav"])) as wav:
        original = wav.readframes(wav.getnframes())

    heard = play(MusicFileFeed(music["tones48.wav"]))

    assert heard.pcm == original


def test_a_mono_file_plays_on_both_channels(music):
    heard = play(MusicFileFeed(music["mono.ogg"]))

    assert abs(heard.frames - RATE) <= BLOCK_FRAMES
    assert np.array_equal(heard.channel(0), heard.channel(1))
    assert heard.frequency(0, 0.1, 0.9) == pytest.approx(440, abs=2)


def onset_frame(heard) -> int:
    """Where the tone becomes audible (above about -34 dBFS)."""
    return int(np.flatnonzero(np.abs(heard.channel(0)) > 655)[0])


def test_mp3_encoder_delay_is_removed_when_the_file_says_it(music):
    # Measured: FLAC and LAME-tagged MP3 both reach the threshold at frame 6; an MP3 without
    # the LAME/Info header starts 1203 frames (25 ms) late and lasts 1803 frames too long.
    exact = play(MusicFileFeed(music["tones.flac"]))
    tagged = play(MusicFileFeed(music["tones.mp3"]))
    untagged = play(MusicFileFeed(music["no_lame_header.mp3"]))

    assert abs(onset_frame(tagged) - onset_frame(exact)) <= 2
    assert tagged.frames == exact.frames == TWO_SECONDS
    assert 1150 <= onset_frame(untagged) - onset_frame(exact) <= 1260
    assert 1700 <= untagged.frames - TWO_SECONDS <= 1900


@pytest.mark.parametrize("suffix", FORMATS)
def test_start_frame_skips_to_that_point(music, suffix):
    feed = MusicFileFeed(music[f"tones{suffix}"], start_frame=RATE)  # at the tone change

    heard = play(feed)

    assert abs(heard.frames - RATE) <= BLOCK_FRAMES
    assert_hears(heard, (LEFT_HZ[1], RIGHT_HZ[1]), 0.05, 0.95)
    assert abs(feed.frames_played - TWO_SECONDS) <= BLOCK_FRAMES
    assert len(heard.streams) == 1  # a resumed track is announced too


@pytest.mark.parametrize("suffix", FORMATS)
def test_resuming_at_frames_played_continues_where_playback_stopped(music, suffix):
    path = music[f"tones{suffix}"]
    whole = decode_all(MusicFileFeed(path))
    first = MusicFileFeed(path)
    for _ in range(25):
        first.pull()
    first.close()  # the car is switched off at 0.5 s
    assert first.frames_played == 25 * BLOCK_FRAMES

    resumed = decode_all(MusicFileFeed(path, start_frame=first.frames_played))

    expected = whole[first.frames_played :]
    assert abs(len(resumed) - len(expected)) <= 1
    n = min(len(resumed), len(expected))
    # The resampler starts empty after a seek: the first millisecond may differ slightly.
    difference = np.abs(resumed[48:n].astype(int) - expected[48:n])
    assert difference.max() <= 16


def test_start_frame_at_or_past_the_end_plays_nothing(music):
    for start in (TWO_SECONDS, 10 * TWO_SECONDS):
        feed = MusicFileFeed(music["tones.mp3"], start_frame=start)
        assert feed.pull() is None
        assert feed.error is None


def test_negative_start_frame_is_refused(music):
    with pytest.raises(ValueError, match="start_frame"):
        MusicFileFeed(music["tones.flac"], start_frame=-1)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("noise.flac", os.urandom(20_000), "not a playable FLAC file"),
        ("empty.flac", b"", "the file is empty"),
        ("song.m4a", b"\0" * 64, "unsupported file type '.m4a'"),
        ("missing.mp3", None, "cannot open: No such file or directory"),
    ],
)
def test_refuses_what_it_cannot_play_with_a_clear_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(MusicFileError, match=re.escape(reason)) as refused:
        MusicFileFeed(path)

    assert str(path) in str(refused.value)


def test_refuses_audio_of_another_format_under_the_name(music, tmp_path):
    path = tmp_path / "really_an_mp3.flac"
    shutil.copy(music["tones.mp3"], path)

    with pytest.raises(MusicFileError, match=r"not a playable FLAC file \(damaged, or not FLAC"):
        MusicFileFeed(path)


def test_a_wav_cut_in_half_plays_its_first_half_and_ends(damaged):
    path = damaged("tones.wav")
    os.truncate(path, os.path.getsize(path) // 2)

    heard = play(MusicFileFeed(path))

    assert abs(heard.frames - RATE) <= BLOCK_FRAMES
    assert_hears(heard, (LEFT_HZ[0], RIGHT_HZ[0]), 0.1, 0.9)


def test_a_flac_cut_short_plays_what_is_left_and_ends_with_an_error(damaged, caplog):
    path = damaged("tones.flac")
    os.truncate(path, os.path.getsize(path) // 2)
    feed = MusicFileFeed(path)  # its header still says 2 s

    with caplog.at_level(logging.WARNING):
        heard = play(feed)

    # ffmpeg's FLAC has 8 KB of header padding: half the file is about a third of the audio.
    assert RATE // 4 < heard.frames < RATE
    assert heard.frequency(0, 0.05, heard.frames / RATE - 0.05) == pytest.approx(440, abs=2)
    assert isinstance(feed.error, MusicFileError)
    assert "cut short" in str(feed.error) and "should last 2.0 s" in str(feed.error)
    assert str(feed.error) in caplog.text


@pytest.mark.parametrize("suffix", (".wav", ".flac"))
def test_a_file_emptied_while_playing_ends_early_with_an_error(damaged, suffix):
    path = damaged(f"tones{suffix}")
    feed = MusicFileFeed(path)
    assert feed.pull() is not None
    os.truncate(path, 0)  # the data is gone, as when the stick is pulled out

    heard = play(feed)  # no exception reaches the render thread

    assert heard.frames < RATE
    assert isinstance(feed.error, MusicFileError)
    assert "ends early" in str(feed.error)
    assert feed.pull() is None


def test_a_file_deleted_while_playing_ends_cleanly(damaged):
    # On Linux an unlinked file stays readable through the open decoder: it plays out.
    path = damaged("tones.ogg")
    feed = MusicFileFeed(path)
    path.unlink()

    heard = play(feed)

    assert abs(heard.frames - TWO_SECONDS) <= BLOCK_FRAMES
    assert feed.error is None


def test_close_ends_the_feed_and_may_repeat(music):
    feed = MusicFileFeed(music["tones.ogg"])
    assert feed.pull() is not None
    feed.close()
    feed.close()

    assert feed.pull() is None
    assert feed.error is None
    assert feed.frames_played == BLOCK_FRAMES
