"""Pictures of what plays, end to end through the player: a real Ogg/Opus room stream (the
studio's chain encoder, relayed as the phone would) and real music files (ffmpeg + mutagen)
end up as files in the art directory, named in the ``now`` event — or, when the picture is
bad, as ``art ""`` while the music plays on."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest

from device.audio.opus_head import PICTURE_KEY, OpusTags, Picture
from device.audio.outputs import open_output
from device.audio.packets import StreamInfo
from device.core.art_cache import ArtCache
from device.core.artwork import Artwork
from device.core.listener import PlayerListener
from device.core.player import Player
from device.frontends.event_hub import EventHub
from device.protocol import Event, NowPlaying
from studio.chain import write_file
from studio.rooms import DEMO_ROOMS
from tests.support.covers import embed_apic, embed_flac_pictures, front_cover, make_jpeg
from tests.support.music_files import make_track

WAIT_S = 5.0


def _name(data: bytes, suffix: str) -> str:
    return hashlib.sha256(data).hexdigest()[:16] + suffix


def _room(tmp_path: Path, tags: dict[str, str]) -> bytes:
    """Two songs of a demo room whose links carry ``tags``, as a chained Ogg/Opus stream."""
    room = replace(DEMO_ROOMS[0], tags=tags)
    path = tmp_path / "room.opus"
    write_file(path, room, seconds=1.2, song_s=0.6)
    return path.read_bytes()


async def _until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {WAIT_S} s")
        await asyncio.sleep(0.01)


def _songs(events: list[Event]) -> list[NowPlaying]:
    return [event for event in events if isinstance(event, NowPlaying)]


def _relay(stream: bytes, cache: ArtCache) -> tuple[list[NowPlaying], list[str]]:
    """Relay ``stream`` into a player; the ``now`` events and the states it went through."""

    async def scenario():
        player = Player(open_output("null"), mode="road", art=cache)  # every song plays
        hub, events = EventHub(player), []
        hub.subscribe(events.append)
        await player.start(paced=False)
        try:
            await player.start_relay("phone")
            for start in range(0, len(stream), 4096):
                player.feed_relay(stream[start : start + 4096])
            await _until(lambda: len(_songs(events)) >= 2, "second song")
        finally:
            await player.close()
        return _songs(events), [e.state for e in events if e.name == "state"]

    return asyncio.run(scenario())


def test_a_room_picture_is_cached_whole_and_named_in_the_now_event(tmp_path: Path) -> None:
    jpeg = make_jpeg(tmp_path / "cover.jpg")
    tags = {"HOST": "Mara Okafor", PICTURE_KEY: front_cover(jpeg).to_comment()}
    songs, _ = _relay(_room(tmp_path, tags), ArtCache(tmp_path / "art"))
    name = _name(jpeg, ".jpg")
    assert [(s.title, s.host, s.art) for s in songs] == [
        ("Good evening, drivers", "Mara Okafor", name),
        ("Night Bus", "Mara Okafor", name),
    ]
    assert [p.name for p in (tmp_path / "art").iterdir()] == [name]
    assert (tmp_path / "art" / name).read_bytes() == jpeg


def test_the_host_tag_is_read_whatever_its_case(tmp_path: Path) -> None:
    songs, _ = _relay(_room(tmp_path, {"host": "Jonas & Priya"}), ArtCache(tmp_path / "art"))
    assert {(s.host, s.art) for s in songs} == {("Jonas & Priya", "")}


@pytest.mark.parametrize(
    ("comment", "max_bytes", "logged"),
    [
        (front_cover(b"\xff\xd8\xff" + bytes(3000)).to_comment()[:2000], 4 << 20, "cut short"),
        ("@@ not base64 @@", 4 << 20, "not base64"),
        (Picture(3, "image/gif", b"GIF89a" + bytes(500)).to_comment(), 4 << 20, "not a JPEG"),
        (
            Picture(3, "image/png", b"MZ\x90\0 an .exe").to_comment(),
            4 << 20,
            "bytes are not a JPEG or PNG",
        ),
        (front_cover(b"\xff\xd8\xff" + bytes(20_000)).to_comment(), 10_000, "at most 10000"),
    ],
    ids=["corrupt", "not-base64", "gif", "not-an-image", "oversized"],
)
def test_a_bad_room_picture_means_no_art_and_the_songs_play_on(
    tmp_path: Path, comment: str, max_bytes: int, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    stream = _room(tmp_path, {"HOST": "Mara", PICTURE_KEY: comment})
    with caplog.at_level(logging.INFO):
        songs, states = _relay(stream, ArtCache(tmp_path / "art", max_bytes=max_bytes))
    # The second song is announced when the renderer reaches it: the first played through.
    assert [(s.title, s.art) for s in songs] == [("Good evening, drivers", ""), ("Night Bus", "")]
    assert "error" not in states
    assert not (tmp_path / "art").exists()
    assert logged in caplog.text


def _play_file(path: Path, cache: ArtCache) -> list[NowPlaying]:
    async def scenario():
        player = Player(open_output("null"), art=cache)
        hub, events = EventHub(player), []
        hub.subscribe(events.append)
        ended = asyncio.Event()

        class Ended(PlayerListener):
            def on_ended(self) -> None:
                ended.set()

        player.add_listener(Ended())
        await player.start(paced=False)
        try:
            await player.play_file(path)
            await asyncio.wait_for(ended.wait(), WAIT_S)  # it played to its end
        finally:
            await player.close()
        return _songs(events)

    return asyncio.run(scenario())


def _file(tmp_path: Path, fmt: str, suffix: str) -> Path:
    folder = tmp_path / "music"
    folder.mkdir(exist_ok=True)
    tags = {"title": "Autumn Exit", "artist": "Ella"}
    return make_track(folder / f"01{suffix}", fmt, seconds=0.4, freq_hz=440.0, tags=tags)


def test_flac_cover_from_the_file(tmp_path: Path) -> None:
    jpeg = make_jpeg(tmp_path / "c.jpg", "0x884400")
    path = _file(tmp_path, "flac", ".flac")
    embed_flac_pictures(path, [front_cover(jpeg)])
    songs = _play_file(path, ArtCache(tmp_path / "art"))
    assert [s.art for s in songs] == [_name(jpeg, ".jpg")]
    assert (tmp_path / "art" / songs[0].art).read_bytes() == jpeg


def test_mp3_cover_from_the_file(tmp_path: Path) -> None:
    jpeg = make_jpeg(tmp_path / "c.jpg", "0x228844")
    path = _file(tmp_path, "mp3", ".mp3")
    embed_apic(path, front_cover(jpeg))
    songs = _play_file(path, ArtCache(tmp_path / "art"))
    assert [s.art for s in songs] == [_name(jpeg, ".jpg")]
    assert (tmp_path / "art" / songs[0].art).read_bytes() == jpeg


def test_a_folder_picture_stands_in_for_a_file_without_one(tmp_path: Path) -> None:
    path = _file(tmp_path, "mp3", ".mp3")
    jpeg = make_jpeg(path.parent / "Folder.JPG", "0x123456")  # as Windows leaves it
    songs = _play_file(path, ArtCache(tmp_path / "art"))
    assert [s.art for s in songs] == [_name(jpeg, ".jpg")]


def test_a_corrupt_embedded_picture_means_no_art_and_the_file_plays(tmp_path: Path) -> None:
    path = _file(tmp_path, "mp3", ".mp3")
    embed_apic(path, Picture(3, "image/jpeg", b"\x00 not a jpeg at all"))
    songs = _play_file(path, ArtCache(tmp_path / "art"))
    assert [s.art for s in songs] == [""]  # announced, without a picture, and played to its end


def test_a_song_waiting_for_its_picture_is_not_overtaken(tmp_path: Path) -> None:
    """The next song's announcement waits behind one whose picture is still being written."""
    big = front_cover(b"\xff\xd8\xff" + bytes(3 << 20))  # 3 MiB: decoded and hashed in a thread
    first, second = (
        StreamInfo(serial, 2, 312, tags={"TITLE": t}) for serial, t in ((1, "A"), (2, "B"))
    )

    async def scenario():
        artwork, delivered = Artwork(ArtCache(tmp_path / "art")), []
        artwork.stream_started(first, OpusTags(comments=((PICTURE_KEY, big.to_comment()),)))
        artwork.announce(first, None, lambda art: delivered.append(("A", art)))
        artwork.announce(second, None, lambda art: delivered.append(("B", art)))
        assert delivered == []  # A's picture is not ready: B must not go first
        await _until(lambda: len(delivered) == 2, "both songs")
        await artwork.close()
        return delivered

    assert asyncio.run(scenario()) == [("A", _name(big.data, ".jpg")), ("B", "")]
