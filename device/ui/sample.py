"""A believable engine state for screenshots and layout checks, fed through the App's own
event path (``receive_event``) exactly as the engine's events would be."""

from __future__ import annotations

from device.protocol import Event, NowPlaying, Pairing, PlayerState, Stats

ROOM = "http://rooms.example.net:8000/late-jazz.opus"
SAMPLE_EVENTS: tuple[Event, ...] = (
    PlayerState(state="playing", room=ROOM, mode="live", volume=65),
    NowPlaying(artist="The Blue Ring Trio", title="Night Bus", album="Lanterns"),
    Stats(depth_ms=140, lag_ms=180),
)
SAMPLE_ROOM_NAMES = [{"u": ROOM, "n": "Late Jazz with Mara"}]
SAMPLE_PRESETS = ["Late Jazz with Mara", "Morning Commute Café", "", "Lanterns"]
SAMPLE_PAIRING = Pairing(state="confirm", digits="482913", phone="Pixel 8")

# The worst case for layout: long names in several scripts, which must ellipsize.
LONG_ROOM = (
    "http://rooms.example.net:8000/"
    "the-very-long-running-late-night-jazz-and-blues-request-show-from-the-motorway.opus"
)
LONG_EVENTS: tuple[Event, ...] = (
    PlayerState(
        state="reconnecting",
        room=LONG_ROOM,
        mode="road",
        volume=100,
        detail="the room stopped answering; trying again every few seconds",
    ),
    NowPlaying(
        artist="Ελληνική Ορχήστρα Τζαζ και Оркестр имени Чайковского Brightwater-Okafor",
        title="Ünterwegs auf der Autobahn bei Nacht — eine sehr lange Ballade in drei Sätzen",
        album="Lanterns",
    ),
    Stats(depth_ms=12_345),
)
LONG_PRESETS = [
    "Morning Commute Café with the whole newsroom and the traffic desk",
    "Ночное радио для дальнобойщиков",
    "",
    "Ελληνικά τραγούδια του δρόμου",
]
LONG_PAIRING = Pairing(
    state="confirm", digits="000000", phone="Giovanni's Samsung Galaxy S24 Ultra (work)"
)
