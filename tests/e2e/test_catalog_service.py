"""The engine's catalog over the control socket, against a real Icecast with live rooms."""

from __future__ import annotations

import asyncio

import pytest

from device.control_client import CommandFailed, ControlClient
from device.protocol import Browse, Favorite, PresetPlay, PresetSet, Search, Status
from studio.rooms import DEMO_ROOMS
from tests.e2e.engine_harness import start_engine

pytestmark = pytest.mark.icecast


async def _engine_with_catalog(tmp_path, icecast):
    engine, recorder = await start_engine(
        tmp_path,
        "null",
        catalog={
            "path": str(tmp_path / "catalog.sqlite"),
            "sources": [f"icecast:{icecast.base_url}"],
        },
    )
    await asyncio.wait_for(engine.catalog.refreshed.wait(), 15)
    client = ControlClient(engine.config.engine.socket_path)
    await client.connect()
    return engine, recorder, client


def test_rooms_are_found_by_hashtag_genre_and_song(tmp_path, icecast, room_source):
    jazz = room_source(DEMO_ROOMS[0], song_s=30.0)
    synth = room_source(DEMO_ROOMS[2], song_s=30.0)

    async def scenario():
        engine, _, client = await _engine_with_catalog(tmp_path, icecast)
        try:
            by_tag = (await client.request(Search(q="#jazz"))).data
            by_genre = (await client.request(Search(q="genre:electro"))).data
            song = jazz.now_playing
            by_song = (await client.request(Search(q=f"song:{song.title[:5]}"))).data
            tags = (await client.request(Browse(what="tags"))).data
            live = (await client.request(Browse(what="live", limit=10))).data
            return by_tag, by_genre, by_song, tags, live
        finally:
            await client.close()
            await engine.close()

    by_tag, by_genre, by_song, tags, live = asyncio.run(scenario())
    assert [item["u"] for item in by_tag["live"]["items"]] == [jazz.mount_url]
    assert [item["u"] for item in by_genre["live"]["items"]] == [synth.mount_url]
    assert by_song["live"]["items"][0]["u"] == jazz.mount_url
    assert by_song["live"]["items"][0]["m"] == "playing"
    assert {"jazz", "latenight"} <= {item["k"] for item in tags["items"]}
    assert {jazz.mount_url, synth.mount_url} <= {item["u"] for item in live["items"]}


def test_presets_favorites_and_resume_survive_a_restart(tmp_path, icecast, room_source):
    room = room_source(DEMO_ROOMS[1], song_s=2.0)

    async def first_drive():
        engine, recorder, client = await _engine_with_catalog(tmp_path, icecast)
        try:
            await client.request(PresetSet(slot=2, kind="room", target=room.mount_url))
            await client.request(Favorite(url=room.mount_url))
            with pytest.raises(CommandFailed, match="preset 3 is empty"):
                await client.request(PresetPlay(slot=3))
            await client.request(PresetPlay(slot=2))
            await recorder.wait_for_state("playing")
            presets = (await client.request(Browse(what="presets"))).data
            favorites = (await client.request(Browse(what="favorites"))).data
            return presets, favorites
        finally:
            await client.close()
            await engine.close()

    async def next_drive():
        engine, recorder, client = await _engine_with_catalog(tmp_path, icecast)
        try:
            assert await engine.resume()
            await recorder.wait_for_state("playing")
            return (await client.request(Status())).data
        finally:
            await client.close()
            await engine.close()

    presets, favorites = asyncio.run(first_drive())
    assert presets["items"] == [{"s": 2, "k": "room", "t": room.mount_url, "n": room.mount_url}]
    assert [item["u"] for item in favorites["items"]] == [room.mount_url]
    status = asyncio.run(next_drive())
    assert status["room"] == room.mount_url


def test_ctl_searches_and_sets_presets_from_the_terminal(tmp_path, icecast, room_source):
    import subprocess
    import sys

    jazz = room_source(DEMO_ROOMS[0], song_s=30.0)

    async def scenario():
        engine, _, client = await _engine_with_catalog(tmp_path, icecast)
        path = str(engine.config.engine.socket_path)
        ctl = [sys.executable, "-m", "device", "ctl", "--socket", path]
        try:
            runs = []
            for words in (
                ["search", "#jazz"],
                ["preset", "set", "1", jazz.mount_url],
                ["browse", "presets"],
                ["preset", "play", "9"],
            ):
                process = await asyncio.create_subprocess_exec(
                    *ctl, *words, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                out, err = await process.communicate()
                runs.append((process.returncode, out.decode(), err.decode()))
            return runs
        finally:
            await client.close()
            await engine.close()

    search, preset_set, presets, bad_slot = asyncio.run(scenario())
    assert search[0] == 0 and f"Late Jazz with Mara  [Jazz]  {jazz.mount_url}" in search[1]
    assert preset_set[0] == 0
    assert presets[1].strip() == f"preset 1: room {jazz.mount_url}"
    assert bad_slot[0] == 2 and "slot must be 1..4, got 9" in bad_slot[2]
