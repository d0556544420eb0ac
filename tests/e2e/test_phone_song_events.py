"""What a paired phone hears of the touchscreen's events over Bluetooth LE: the ``car`` event
(its own ``driving`` command reflected, so its switch can follow the unit) and ``now`` with
the host but without ``art`` — a file name on the unit is of no use to the phone and would
only cost radio time. The touchscreen's watcher gets the same song with its picture."""

from __future__ import annotations

import asyncio

from device.control_client import ControlClient
from device.protocol import Car, Driving, Event, NowPlaying, Relay, Watch
from host.bumble_backend import close_stacks
from host.relay import relay_source
from studio.chain import write_file
from studio.rooms import DEMO_ROOMS
from tests.e2e.test_phone_link import _pair, _phone, _unit

WAIT_S = 5.0


async def _first(events, kind: type[Event]) -> Event:
    async with asyncio.timeout(WAIT_S):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"no {kind.name} event")


def test_the_phone_gets_car_and_songs_without_the_picture_name(tmp_path):
    song = tmp_path / "room.opus"
    write_file(song, DEMO_ROOMS[0], seconds=1.0, song_s=1.0)

    async def scenario():
        engine, screen = await _unit(tmp_path)
        watcher = ControlClient(engine.config.engine.socket_path)
        await watcher.connect()
        phone = _phone(tmp_path, engine.link.phone_port)
        try:
            await _pair(engine, screen, phone)
            await watcher.request(Watch())
            phone_events, screen_events = phone.events(), watcher.events()
            phone_car = asyncio.create_task(_first(phone_events, Car))
            await asyncio.sleep(0)  # the phone's reader is registered before the change
            await phone.request(Driving(on=True))
            car = await phone_car
            phone_song = asyncio.create_task(_first(phone_events, NowPlaying))
            await asyncio.sleep(0)
            await phone.request(Relay(label=song.name))
            await phone.relay(relay_source(str(song)))
            return car, await phone_song, await _first(screen_events, NowPlaying)
        finally:
            await phone.close()
            await close_stacks()
            await watcher.close()
            await screen.close()
            await engine.close()

    car, on_phone, on_screen = asyncio.run(scenario())
    assert car == Car(driving=True)
    assert (on_phone.title, on_phone.host, on_phone.art) == (on_screen.title, "Mara Okafor", "")
    assert on_screen.art.endswith(".png")
