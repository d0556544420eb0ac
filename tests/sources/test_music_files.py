"""open_music_feed: each real file (from ffmpeg) gets the feed that plays it."""

from __future__ import annotations

import pytest

from device.audio.music_decoder import MusicFileFeed
from device.sources.local_file import LocalFileFeed
from device.sources.music_files import PLAYABLE_SUFFIXES, MusicFileError, open_music_feed
from tests.audio.music_fixtures import (
    BLOCK_FRAMES,
    LEFT_HZ,
    RATE,
    RIGHT_HZ,
    ffmpeg,
    make_two_tone,
    play,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("stick")


def make_opus(path, title: str = "Opus Tones"):
    wav = make_two_tone(path.with_suffix(".src.wav"))
    ffmpeg("-i", wav, "-c:a", "libopus", "-b:a", "96k", "-metadata", f"title={title}", path)
    return path


def assert_plays_two_tones(feed) -> None:
    heard = play(feed)
    assert abs(heard.frames - 2 * RATE) <= BLOCK_FRAMES
    assert heard.frequency(0, 0.1, 0.9) == pytest.approx(LEFT_HZ[0], abs=2)
    assert heard.frequency(1, 1.1, 1.9) == pytest.approx(RIGHT_HZ[1], abs=2)


def test_playable_suffixes_are_opus_and_the_decoded_formats():
    assert set(PLAYABLE_SUFFIXES) == {".opus", ".ogg", ".oga", ".flac", ".mp3", ".wav"}


def test_opus_files_play_through_the_opus_demuxer(folder):
    feed = open_music_feed(make_opus(folder / "song.opus"))

    assert isinstance(feed, LocalFileFeed)
    assert_plays_two_tones(feed)


def test_opus_inside_an_ogg_name_is_recognised(folder):
    feed = open_music_feed(make_opus(folder / "opus_named.ogg", title="Named Ogg"))

    assert isinstance(feed, LocalFileFeed)
    assert feed.pull().new_stream.tags["TITLE"] == "Named Ogg"


@pytest.mark.parametrize("name", ["vorbis.ogg", "song.FLAC", "song.mp3", "song.wav"])
def test_other_formats_play_decoded_with_the_given_tags(folder, name):
    path = make_two_tone(folder / name)
    tags = {"TITLE": "Two Tones", "ARTIST": "The Oscillators"}

    feed = open_music_feed(path, tags=tags)

    assert isinstance(feed, MusicFileFeed)
    assert feed.pull().new_stream.tags == tags


def test_start_frame_reaches_the_decoder(folder):
    feed = open_music_feed(make_two_tone(folder / "resume.flac"), start_frame=RATE)

    assert feed.frames_played == RATE
    heard = play(feed)
    assert heard.frequency(0, 0.1, 0.9) == pytest.approx(LEFT_HZ[1], abs=2)


def test_an_opus_file_resumed_plays_from_its_start(folder):
    # LocalFileFeed cannot seek yet: better the whole song than none.
    feed = open_music_feed(make_opus(folder / "resume.opus"), start_frame=RATE)

    assert_plays_two_tones(feed)


def test_an_unsupported_file_is_refused_with_the_path(folder):
    path = folder / "cover.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not music")

    with pytest.raises(MusicFileError, match=r"unsupported file type '\.jpg'") as refused:
        open_music_feed(path)
    assert str(path) in str(refused.value)


def test_a_missing_ogg_is_refused_not_sniffed(folder):
    with pytest.raises(MusicFileError, match="cannot open"):
        open_music_feed(folder / "gone.ogg")
