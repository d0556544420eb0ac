"""The phone app against a real car unit over the virtual radio, with the real bleak API:
first run pairs by comparing digits, names the car, searches and plays a room; then the
car goes away and comes back, and the app reconnects by itself."""

from __future__ import annotations

import json
import socket

from device.protocol import Pairing
from studio.rooms import DEMO_ROOMS
from tests.ui.screen import tap, wait_until

ROOM = DEMO_ROOMS[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _car(engines, icecast=None):
    catalog = {"sources": [f"icecast:{icecast.base_url}"]} if icecast else {}
    link = {"transport": "virtual", "phone_port": _free_port()}  # the same after a restart
    runner = engines(link=link, catalog=catalog)
    engine = runner.start()
    assert engine.link is not None
    prompts: list[Pairing] = []
    engine.events.subscribe(lambda e: prompts.append(e) if isinstance(e, Pairing) else None)
    return runner, engine, prompts


def _pair(app, runner, engine, prompts) -> None:
    wait_until(lambda: app.link_state == "not_paired", "reached the car, not paired", 15)
    assert app.current_screen == "car"
    assert "Not paired" in app.root.ids.banner_label.text
    runner.call(engine.link.open_pairing_window)  # the driver, on the car's screen
    car = app.root.ids.screens.get_screen("car").ids
    tap(car.pair)
    wait_until(lambda: app.digits != "", "the digits on the phone", 15)
    dialog = app.root.digits_dialog
    wait_until(lambda: dialog.parent is not None, "the digits dialog")
    shown_on_car = [p.digits for p in prompts if p.state == "confirm"]
    assert shown_on_car and dialog.ids.digits_label.text.replace(" ", "") == shown_on_car[-1]
    runner.call(engine.link.confirm_pairing, True)  # the driver's yes on the car
    tap(dialog.ids.confirm)  # and the phone's
    wait_until(lambda: app.ready, "connected and paired", 15)
    assert dialog.parent is None


def test_first_run_pairs_names_the_car_searches_and_plays_a_room(
    phone, engines, icecast, room_source, tmp_path
):
    source = room_source(ROOM, song_s=30.0)
    runner, engine, prompts = _car(engines, icecast)
    app = phone(engine.link.phone_port)
    _pair(app, runner, engine, prompts)

    car = app.root.ids.screens.get_screen("car").ids
    car.name_input.text = "Family car"
    tap(car.save_name)
    wait_until(lambda: app.root.ids.nav_car.text == "Family car", "the car's name in the nav")
    remembered = json.loads((tmp_path / "unit.json").read_text())
    assert remembered == {"address": app.link.address, "name": "Family car"}

    async def listed() -> bool:
        page = await engine.catalog.browse("live", 0, 10)
        return any(item["u"] == source.mount_url for item in page["items"])

    wait_until(lambda: runner.run(listed()), "the car's catalog lists the room", 10)
    tap(app.root.ids.nav_search)
    search = app.root.ids.screens.get_screen("search")
    search.ids.query.text = "late jazz"  # the phone's own keyboard
    wait_until(lambda: any(i.target == source.mount_url for i in app.results), "results", 10)
    assert app.results[0].kind == "section" and app.results[0].title == "Live now"
    tile = next(t for t in search.ids.results.children if getattr(t, "item", None)
                and t.item.target == source.mount_url)  # fmt: skip
    tap(tile)
    wait_until(lambda: search.actions.parent is not None, "what to do with it")
    tap(search.actions.ids.favorite)
    wait_until(lambda: search.actions.parent is None, "the actions closed")

    async def favorites() -> list[str]:
        page = await engine.catalog.browse("favorites", 0, 10)
        return [item["u"] for item in page["items"]]

    wait_until(lambda: runner.run(favorites()) == [source.mount_url], "a favorite on the car")
    tap(tile)
    wait_until(lambda: search.actions.parent is not None, "the actions again")
    tap(search.actions.ids.play)
    wait_until(lambda: engine.player.snapshot().room == source.mount_url, "the car joins it", 10)
    screens = app.root.ids.screens  # shown and taking touches (the switch takes a frame)
    wait_until(
        lambda: screens.current_screen.name == "now" and not screens.transition.is_active,
        "back on Playing",
    )
    now = app.root.ids.screens.get_screen("now").ids
    wait_until(lambda: now.room_label.text == ROOM.name, "the room's name mirrored", 10)

    before = engine.player.snapshot().volume  # the tests' engines start at 100 %
    tap(now.volume_down)
    wait_until(lambda: engine.player.snapshot().volume == before - 5, "the car's volume down")
    tap(now.driving)  # the car is moving: the unit's screen locks its keyboard
    wait_until(lambda: runner.call(lambda: engine.car.driving), "driving at the car")


def test_the_car_goes_away_and_the_app_reconnects_bonded(phone, engines, tmp_path):
    runner, engine, prompts = _car(engines)
    app = phone(engine.link.phone_port)
    _pair(app, runner, engine, prompts)
    port = engine.link.phone_port

    runner.stop()  # ignition off, or out of range
    wait_until(lambda: not app.ready, "the link dropped", 15)
    wait_until(lambda: "range" in app.link_words or "dropped" in app.link_words, "why", 15)
    assert app.root.ids.banner.opacity == 1

    engine = runner.start()  # back, with its bonds, on the same radio
    assert engine.link is not None and engine.link.phone_port == port
    asked_again: list[Pairing] = []
    engine.events.subscribe(lambda e: asked_again.append(e) if isinstance(e, Pairing) else None)
    wait_until(lambda: app.ready, "reconnected, no pairing asked", 30)
    assert not [p for p in asked_again if p.state == "confirm"]  # bonded: no digits asked
    tap(app.root.ids.nav_now)
    now = app.root.ids.screens.get_screen("now").ids
    wait_until(lambda: now.volume_down.get_root_window() is not None, "Playing shown")
    tap(now.volume_down)
    wait_until(lambda: engine.player.snapshot().volume < 100, "a command after reconnecting")


def test_a_room_relayed_through_the_phone_plays_in_the_car_until_stopped(
    phone, engines, icecast, room_source
):
    source = room_source(ROOM, song_s=30.0)
    runner, engine, prompts = _car(engines)  # no catalog: the car has no network of its own
    app = phone(engine.link.phone_port)
    _pair(app, runner, engine, prompts)

    from host.app.items import Item

    app.relay(Item(ROOM.name, "", "room", source.mount_url))  # a search result's action
    wait_until(lambda: engine.player.snapshot().room == f"relay:{ROOM.name}", "relaying", 10)
    wait_until(lambda: engine.player.snapshot().state == "playing", "the car plays it", 15)
    now = app.root.ids.screens.get_screen("now").ids
    wait_until(lambda: "relayed by this phone" in now.state_label.text, "said on the phone")
    assert now.stop_relay.opacity == 1
    tap(now.stop_relay)
    wait_until(lambda: app.relaying == "", "the relay stopped")
    assert now.stop_relay.opacity == 0
