"""Engine events reach the screen on the Kivy clock, coalesced: a burst from the link
thread costs one update, keeps the newest of each kind, and respects their order."""

from __future__ import annotations

import threading

from device.config import Config
from device.protocol import NowPlaying, Pairing, PlayerState
from tests.ui.screen import frames, wait_until

ROOM_A = "http://rooms.example.net:8000/late-jazz.opus"
ROOM_B = "http://rooms.example.net:8000/morning-commute.opus"


def _from_another_thread(*calls):
    thread = threading.Thread(target=lambda: [call() for call in calls])
    thread.start()
    thread.join()


def test_a_burst_of_events_is_one_update_with_the_newest_values(ui):
    app = ui(Config(), connect=False)
    app.receive_connection(True)
    frames(2)
    volumes: list[int] = []
    app.bind(volume=lambda _app, value: volumes.append(value))

    _from_another_thread(
        *(
            lambda v=v: app.receive_event(PlayerState(state="playing", room=ROOM_A, volume=v))
            for v in range(60)
        )
    )
    assert volumes == []  # nothing touched off the Kivy thread
    wait_until(lambda: volumes, "the update")
    assert volumes == [59]
    assert app.state_words == "Playing"


def test_a_song_announced_before_a_room_change_is_not_shown_under_the_new_room(ui):
    app = ui(Config(), connect=False)
    app.receive_event(PlayerState(state="playing", room=ROOM_A))
    frames(2)
    _from_another_thread(
        lambda: app.receive_event(NowPlaying(artist="Mara Okafor", title="Night Bus")),
        lambda: app.receive_event(PlayerState(state="connecting", room=ROOM_B)),
    )
    wait_until(lambda: app.room == ROOM_B, "the new room")
    assert app.headline == "Morning commute"  # the room's name, not the old room's song
    assert app.song_title == ""

    app.receive_event(NowPlaying(artist="Ada Lark", title="Headlines"))
    wait_until(lambda: app.headline == "Headlines", "the new room's song")
    assert app.subline == "Ada Lark"


def test_a_new_rooms_first_song_in_the_same_burst_as_its_state_changes_is_shown(ui):
    app = ui(Config(), connect=False)
    app.receive_event(PlayerState(state="playing", room=ROOM_A))
    app.receive_event(NowPlaying(artist="Mara Okafor", title="Night Bus"))
    wait_until(lambda: app.headline == "Night Bus", "room A's song")
    _from_another_thread(
        lambda: app.receive_event(PlayerState(state="connecting", room=ROOM_B)),
        lambda: app.receive_event(NowPlaying(artist="Ada Lark", title="Headlines")),
        lambda: app.receive_event(PlayerState(state="playing", room=ROOM_B)),
    )
    wait_until(lambda: app.room == ROOM_B, "the new room")
    assert (app.headline, app.subline) == ("Headlines", "Ada Lark")


def test_losing_the_engine_takes_its_pairing_prompt_away(ui):
    app = ui(Config(), connect=False)
    app.receive_connection(True)
    app.receive_event(Pairing(state="confirm", digits="123456"))
    wait_until(lambda: app.pairing_dialog is not None, "the dialog")
    app.receive_connection(False)
    wait_until(lambda: app.pairing_dialog is None, "the dialog gone with the engine")
