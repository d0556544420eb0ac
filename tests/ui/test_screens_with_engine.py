"""The list screens against a real engine: rooms from a real Icecast directory, hashtags and
search from its catalog, an album from music files on disk. Taps choose, the engine plays."""

from __future__ import annotations

import time

import pytest

from studio.rooms import DEMO_ROOMS
from tests.support.music_files import make_track
from tests.ui.screen import showing, tap, task, tile_titled, tiles, wait_until

JAZZ, COMMUTE = DEMO_ROOMS[0], DEMO_ROOMS[1]


def _engine_with_rooms(engines, icecast, room_source):
    sources = [room_source(room, song_s=30.0) for room in (JAZZ, COMMUTE)]
    runner = engines(catalog={"sources": [f"icecast:{icecast.base_url}"]})
    engine = runner.start()

    async def catalog_lists_them() -> bool:
        page = await engine.catalog.browse("live", 0, 10)
        listed = {item["u"] for item in page["items"]}
        return all(source.mount_url in listed for source in sources)

    deadline = time.monotonic() + 10
    while not runner.run(catalog_lists_them()):
        assert time.monotonic() < deadline, "the engine's catalog never listed the rooms"
        time.sleep(0.05)
    return runner, engine, {source.room.name: source.mount_url for source in sources}


def _playing(runner, engine, url: str) -> bool:
    snapshot = engine.player.snapshot()
    return snapshot.room == url and snapshot.state == "playing"


def test_a_live_room_is_two_taps_away(ui, engines, icecast, room_source):
    runner, engine, urls = _engine_with_rooms(engines, icecast, room_source)
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")

    with task("play a live room", most=2):
        tap(app.root.ids.nav_rooms)
        rooms = showing(app, "rooms")
        tile = tile_titled(rooms, COMMUTE.name)
        assert tile.subtitle  # listeners, what it plays
        tap(tile)
        wait_until(lambda: _playing(runner, engine, urls[COMMUTE.name]), "the engine playing it")
    now = showing(app, "now_playing").ids
    wait_until(lambda: now.room_label.text.startswith(COMMUTE.name), "its name on screen")
    assert now.live_badge.opacity == 1


def test_by_hashtag_then_back(ui, engines, icecast, room_source):
    runner, engine, urls = _engine_with_rooms(engines, icecast, room_source)
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")

    tap(app.root.ids.nav_rooms)
    rooms = showing(app, "rooms")
    tap(rooms.ids.chip_interests)
    jazz = tile_titled(rooms, "#jazz")
    assert jazz.subtitle.endswith("live room") or jazz.subtitle.endswith("live rooms")
    tap(jazz)
    wait_until(lambda: rooms.view_key == "results", "the rooms for #jazz")
    tile_titled(rooms, JAZZ.name)
    assert COMMUTE.name not in [tile.title for tile in tiles(rooms)]  # not a #jazz room
    assert rooms.ids.chips.disabled  # the drill-down header instead of the chips

    tap(rooms.ids.drill.ids.back)
    wait_until(lambda: rooms.view_key == "interests", "back at the hashtags")
    tap(app.root.ids.nav_now_playing)
    with task("play a room by hashtag"):
        tap(app.root.ids.nav_rooms)
        tap(showing(app, "rooms").ids.chip_interests)
        tap(tile_titled(rooms, "#jazz"))
        tap(tile_titled(rooms, JAZZ.name))
        wait_until(lambda: _playing(runner, engine, urls[JAZZ.name]), "the engine playing it")


def test_typing_a_search_finds_the_room_and_a_hashtag_chip_needs_no_typing(
    ui, engines, icecast, room_source
):
    runner, engine, urls = _engine_with_rooms(engines, icecast, room_source)
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")

    tap(app.root.ids.nav_search)
    search = showing(app, "search")
    chip = tile_titled(search, "#jazz")  # suggested before anything is typed
    assert chip.subtitle

    tap(search.ids.query_field)
    keys = search.ids.keyboard.keys
    for key in "morning":
        tap(keys[key])
    assert search.ids.query_field.text == "morning"
    wait_until(lambda: search.view_key == "results", "results as you type")
    tap(keys["done"])
    wait_until(lambda: search.ids.listing.opacity == 1, "the results instead of the keys")
    tap(tile_titled(search, COMMUTE.name))
    wait_until(lambda: _playing(runner, engine, urls[COMMUTE.name]), "the engine playing it")

    tap(app.root.ids.nav_search)
    search = showing(app, "search")
    tap(search.ids.back)  # the last search is still shown: back to the suggestions
    wait_until(lambda: search.view_key == "suggestions", "the suggestions again")
    assert search.query == ""
    tap(tile_titled(search, "#jazz"))
    wait_until(lambda: search.view_key == "results", "the #jazz rooms")
    tap(tile_titled(search, JAZZ.name))
    wait_until(lambda: _playing(runner, engine, urls[JAZZ.name]), "the engine playing it")


@pytest.fixture(scope="module")
def album(tmp_path_factory):
    root = tmp_path_factory.mktemp("stick")
    for number, name in ((1, "a.flac"), (2, "b.flac"), (3, "c.flac")):
        tags = {"title": f"Exit {number}", "artist": "Ella Brightwater"}
        tags |= {"album": "Motorway Standards", "tracknumber": f"{number}/3"}
        make_track(root / name, "flac", seconds=20.0, freq_hz=300.0 + 100 * number, tags=tags)
    return root


def test_an_album_from_the_library_plays_and_next_skips(ui, engines, album, tmp_path):
    runner = engines(catalog={"path": str(tmp_path / "catalog.sqlite"), "library": [str(album)]})
    engine = runner.start()
    deadline = time.monotonic() + 15
    while not engine.catalog.refreshed.is_set():
        assert time.monotonic() < deadline, "the library was never scanned"
        time.sleep(0.05)
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")

    with task("play an album of an artist"):
        tap(app.root.ids.nav_library)
        music = showing(app, "library")
        artist = tile_titled(music, "Ella Brightwater")
        assert artist.subtitle == "1 album, 3 tracks"
        tap(artist)
        tap(tile_titled(music, "Motorway Standards"))
        tap(tile_titled(music, "Play album"))
        first = str(album / "a.flac")
        wait_until(lambda: engine.player.snapshot().room == first, "the album's first track")
    now = showing(app, "now_playing").ids
    wait_until(lambda: now.title_label.text == "Exit 1", "the track's title")
    assert now.next.opacity == 1 and now.mode_live.opacity == 0  # music: tracks, not modes

    tap(now.next)
    second = str(album / "b.flac")
    wait_until(lambda: engine.player.snapshot().room == second, "the next track")
    wait_until(lambda: now.title_label.text == "Exit 2", "its title")
