"""Now-playing peeks: the song on air from a room's stream headers, without listening.

Against the real Icecast (1 s songs, default 64 KB burst, so a new listener's burst starts
several songs back) and against scripted servers for the failure cases.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from device.sources.directory import NowPlayingPeek, PeekError, peek_many, peek_now_playing
from studio.room_source import RoomSource
from studio.rooms import DEMO_ROOMS
from tests.sources.directory.fake_server import (
    Reply,
    http_reply,
    ogg_stream_head,
    opus_link,
    opus_pages,
    serving,
)
from tests.support import async_test
from tests.support.icecast_fixture import RoomSourceFactory

KB = 1024


def wait_for_links(sources: list[RoomSource], count: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while any(len(source.links) < count for source in sources):
        assert time.monotonic() < deadline, "room sources did not chain their songs in time"
        time.sleep(0.02)


def peek_rooms_live(sources: list[RoomSource]) -> list[NowPlayingPeek]:
    """Peek every room to its live edge; each peek must be a song on air during the peek."""
    before = [source.links for source in sources]
    urls = [source.mount_url for source in sources]
    results = asyncio.run(peek_many(urls, concurrency=4, interval_s=0.02, live_edge=True))
    peeks = []
    for source, links in zip(sources, before, strict=True):
        peek = results[source.mount_url]
        assert isinstance(peek, NowPlayingPeek), peek
        on_air = dict(source.links[len(links) - 1 :])
        assert peek.serial in on_air, f"{peek} is not among the songs on air: {on_air}"
        song = on_air[peek.serial]
        assert (peek.artist, peek.title, peek.album) == (song.artist, song.title, song.album)
        assert peek.tags["DRIVETIME_ROOM"] == source.room.name
        assert peek.bytes_read < 128 * KB  # the 64 KB burst and a moment of live audio
        peeks.append(peek)
    return peeks


@pytest.mark.icecast
def test_peeks_report_each_rooms_current_song_and_follow_the_chain(
    room_source: RoomSourceFactory,
) -> None:
    sources = [room_source(room, song_s=1.0) for room in DEMO_ROOMS]
    wait_for_links(sources, 3)  # the 64 KB burst now starts songs before the one on air
    first = peek_rooms_live(sources)

    # Every room chains to its next song; peeks follow.
    for source, peek in zip(sources, first, strict=True):
        serials = [serial for serial, _ in source.links]
        wait_for_links([source], serials.index(peek.serial) + 2)
    second = peek_rooms_live(sources)
    for old, new in zip(first, second, strict=True):
        assert new.serial != old.serial


@pytest.mark.icecast
def test_a_quick_peek_reads_only_the_first_headers(room_source: RoomSourceFactory) -> None:
    source = room_source(DEMO_ROOMS[1], song_s=1.0)
    wait_for_links([source], 2)
    peek = asyncio.run(peek_now_playing(source.mount_url))
    assert peek.serial in dict(source.links)  # a song of this room, maybe one back
    assert peek.bytes_read <= 4 * KB  # OpusHead + OpusTags + at most a page or two of audio


@async_test
async def test_the_newest_tags_in_the_burst_win() -> None:
    """A burst holding two songs, then the second one live: the second one is on air."""
    old_song = opus_link(1, {"ARTIST": "Old", "TITLE": "Gone"}, audio_s=2.0)
    headers, live_pages = opus_pages(2, {"ARTIST": "New", "TITLE": "On Air"}, frames=60)
    burst = old_song + headers + b"".join(live_pages[:50])
    reply = Reply(ogg_stream_head(), (burst, *live_pages[50:]), gap_s=0.02, hold=True)
    async with serving(reply) as server:
        live = await peek_now_playing(server.url("/room"), live_edge=True)
        quick = await peek_now_playing(server.url("/room"))
    assert (live.artist, live.title, live.serial) == ("New", "On Air", 2)
    assert (quick.artist, quick.title, quick.serial) == ("Old", "Gone", 1)
    assert server.request_heads[0].startswith("GET /room HTTP/1.1\r\n")


@async_test
async def test_a_silent_room_after_its_headers_is_peeked() -> None:
    headers, _ = opus_pages(7, {"ARTIST": "A", "TITLE": "T", "ALBUM": "L"}, frames=0)
    async with serving(Reply(ogg_stream_head(), (headers,), hold=True)) as server:
        peek = await peek_now_playing(server.url("/quiet"), timeout_s=3.0)
    assert (peek.artist, peek.title, peek.album, peek.serial) == ("A", "T", "L", 7)
    assert peek.bytes_read == len(headers)


@async_test
async def test_cover_pictures_are_read_up_to_the_cap_and_then_given_up() -> None:
    small = opus_link(3, {"TITLE": "With cover"}, audio_s=0.1, picture=bytes(40 * KB))
    huge = opus_link(4, {"TITLE": "Huge cover"}, audio_s=0.1, picture=bytes(300 * KB))
    routes = {"/small": small, "/huge": huge}

    async with serving(lambda path: Reply(ogg_stream_head(), (routes[path],), hold=True)) as srv:
        peek = await peek_now_playing(srv.url("/small"))
        with pytest.raises(PeekError, match="no complete Opus headers in 256 KiB") as caught:
            await peek_now_playing(srv.url("/huge"))
    assert peek.title == "With cover" and "METADATA_BLOCK_PICTURE" not in peek.tags
    assert 80 * KB < peek.bytes_read < 100 * KB  # the picture is hex: 2 bytes per byte
    assert 256 * KB < caught.value.bytes_read <= 256 * KB + 1


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (http_reply(b"", "text/html", "404 File Not Found"), "HTTP 404 File Not Found"),
        (http_reply(b"", "text/html", "403 Forbidden"), "HTTP 403"),
        (Reply(ogg_stream_head("audio/mpeg"), (b"\xff\xfb" + bytes(999),)), "audio/mpeg stream"),
        (Reply(ogg_stream_head(), (b"not ogg at all" * 10,)), "not an Ogg stream"),
        (Reply(ogg_stream_head(), (opus_pages(5, {}, 0)[0][:60],)), "ended before its Opus"),
        (Reply(ogg_stream_head(), (), hold=True), r"no complete Opus headers within 0\.3 s"),
        (Reply(), r"no complete Opus headers within 0\.3 s"),
    ],
)
@async_test
async def test_rooms_that_cannot_be_peeked_give_a_clear_error(reply: Reply, reason: str) -> None:
    async with serving(reply) as server:
        with pytest.raises(PeekError, match=reason) as caught:
            await peek_now_playing(server.url("/room"), timeout_s=0.3)
    assert caught.value.url == server.url("/room")


@async_test
async def test_peek_many_is_bounded_and_paced() -> None:
    headers, _ = opus_pages(9, {"TITLE": "Same everywhere"}, frames=0)

    def route(path: str) -> Reply:
        if path == "/gone":
            return http_reply(b"", "text/html", "404 File Not Found")
        return Reply(ogg_stream_head(), (headers,), hold=True)

    async with serving(route) as server:
        urls = [server.url(f"/room{i}") for i in range(7)] + [server.url("/gone")]
        # live_edge keeps each peek open ~0.15 s after the tags, so peeks overlap
        results = await peek_many([*urls, urls[0]], concurrency=3, interval_s=0.02, live_edge=True)
    assert list(results) == urls  # one result per distinct URL, in order
    assert all(isinstance(results[url], NowPlayingPeek) for url in urls[:-1])
    assert isinstance(results[urls[-1]], PeekError)
    assert server.max_active == 3
    gaps = [b - a for a, b in zip(server.accept_times, server.accept_times[1:], strict=False)]
    assert min(gaps) >= 0.015  # connections trickle in, never a storm


@async_test
async def test_peek_many_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        await peek_many(["http://x/"], concurrency=0)
    with pytest.raises(ValueError, match="interval_s"):
        await peek_many(["http://x/"], interval_s=-1)
