"""What the engine tells the screen beyond the player's state: the car moving (typing and
long lists locked, the phone offered) and the cover picture of what plays."""

from __future__ import annotations

from device.ui.presenters import Item
from studio.rooms import DEMO_ROOMS
from tests.ui.screen import showing, tap, wait_until

ROOM = DEMO_ROOMS[0]


def test_while_driving_the_search_box_goes_and_lists_stop_at_one_page(ui, engines, tmp_path):
    runner = engines()
    engine = runner.start()
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")
    tap(app.root.ids.nav_search)
    search = showing(app, "search")
    assert search.ids.query_field.opacity == 1 and search.ids.driving_label.width == 0
    tap(search.ids.query_field)
    wait_until(lambda: search.typing and search.ids.keyboard.opacity == 1, "the keyboard")

    runner.call(engine.car.set_driving, True)  # as the phone's or the panel's "driving on"
    wait_until(lambda: app.driving, "the car event on screen")
    wait_until(lambda: search.ids.query_field.opacity == 0, "the box hidden")
    assert search.ids.query_field.disabled and not search.typing  # the keyboard went too
    assert search.ids.keyboard.opacity == 0 and search.ids.keyboard.disabled
    assert search.ids.driving_label.opacity == 1
    assert "phone" in search.ids.driving_label.text

    listing = search.ids.listing
    listing.show([Item(f"Room {n}", "", "room", f"http://x/{n}.opus") for n in range(30)])
    wait_until(lambda: listing.note == "More on the phone while driving", "the lock's note")
    assert not listing.can_go_down and listing.ids.page_down.opacity == 0
    listing.page_down()  # the knob or a stray tap: still the first page
    assert listing.first == 0

    runner.call(engine.car.set_driving, False)
    wait_until(lambda: not app.driving, "parked again")
    wait_until(lambda: search.ids.query_field.opacity == 1, "the box back")
    assert listing.can_go_down


def test_the_rooms_cover_picture_is_shown(ui, engines, icecast, room_source):
    source = room_source(ROOM, song_s=30.0)
    runner = engines()
    engine = runner.start()
    app = ui(runner.config)
    wait_until(lambda: app.engine_connected, "connected")
    runner.run(engine.player.join(source.mount_url))

    now = showing(app, "now_playing").ids
    wait_until(lambda: app.art_path != "", "the picture's file from the engine", 10)
    artwork = now.artwork
    wait_until(lambda: artwork.texture is not None and artwork.width > 0, "the picture drawn")
    assert artwork.opacity == 1
    pixels = artwork.texture.pixels  # RGBA
    colours = {tuple(pixels[i : i + 3]) for i in range(0, len(pixels), 4)}
    background, stripe = (32, 40, 96), (236, 176, 64)  # studio/rooms.py: this room's cover
    assert stripe in colours and background in colours
    assert app.art_path.startswith(str(runner.config.engine.art_dir))
