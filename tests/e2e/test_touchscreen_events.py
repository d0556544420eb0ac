"""What the touchscreen needs from the engine, seen on the control socket: whether the car
moves (``car``), and with each song the show's host and its picture (``now.host``,
``now.art``) — a real engine, a real Icecast room from the studio."""

from __future__ import annotations

import asyncio

import pytest

from device.audio.opus_head import PICTURE_KEY, Picture
from device.control_client import ControlClient
from device.protocol import Car, Driving, Event, Join, NowPlaying, PlayerState, Watch
from studio.rooms import DEMO_ROOMS
from tests.e2e.engine_harness import start_engine

WAIT_S = 5.0


async def _watcher(engine) -> tuple[ControlClient, object]:
    client = ControlClient(engine.config.engine.socket_path)
    await client.connect()
    await client.request(Watch())
    return client, client.events()


async def _next(events, kind: type[Event]) -> Event:
    while not isinstance(event := await asyncio.wait_for(anext(events), WAIT_S), kind):
        pass
    return event


def test_the_car_event_at_subscribe_and_on_every_change(tmp_path):
    async def scenario():
        engine, _ = await start_engine(tmp_path, "null")
        try:
            first, first_events = await _watcher(engine)
            at_subscribe = [await anext(first_events) for _ in range(2)]
            await first.request(Driving(on=True))
            await first.request(Driving(on=True))  # no change: no event
            await first.request(Driving(on=False))
            changes = [await _next(first_events, Car) for _ in range(2)]
            await first.request(Driving(on=True))
            late, late_events = await _watcher(engine)  # a UI that restarted while moving
            late_subscribe = [await anext(late_events) for _ in range(2)]
            await first.close()
            await late.close()
            return at_subscribe, changes, late_subscribe
        finally:
            await engine.close()

    at_subscribe, changes, late_subscribe = asyncio.run(scenario())
    assert [type(e) for e in at_subscribe] == [PlayerState, Car]
    assert at_subscribe[1] == Car(driving=False)
    assert changes == [Car(driving=True), Car(driving=False)]
    assert late_subscribe[1] == Car(driving=True)


@pytest.mark.icecast
def test_a_room_song_brings_its_host_and_cover_file(tmp_path, room_source):
    room = DEMO_ROOMS[0]
    source = room_source(room, song_s=1.0)
    cover = Picture.from_comment(room.tags[PICTURE_KEY], 4 << 20).data

    async def scenario():
        engine, _ = await start_engine(tmp_path, "null")
        try:
            client, events = await _watcher(engine)
            await client.request(Join(url=source.mount_url))
            song = await _next(events, NowPlaying)
            await client.close()
            return song, engine.config.engine.art_dir
        finally:
            await engine.close()

    song, art_dir = asyncio.run(scenario())
    assert song.title in {s.title for s in room.playlist}
    assert song.host == "Mara Okafor"
    assert song.art.endswith(".png")
    assert (art_dir / song.art).read_bytes() == cover
