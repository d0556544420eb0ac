"""A believable engine state for screenshots and layout checks, fed through the App's own
event path (``receive_event``) exactly as the engine's events would be."""

from __future__ import annotations

from pathlib import Path

from device.protocol import Event, NowPlaying, Pairing, PlayerState, Stats
from device.ui.presenters import Item

ROOM = "http://rooms.example.net:8000/late-jazz.opus"
SAMPLE_EVENTS: tuple[Event, ...] = (
    PlayerState(state="playing", room=ROOM, mode="live", volume=65),
    NowPlaying(
        artist="The Blue Ring Trio", title="Night Bus", album="Lanterns", host="Mara Okafor"
    ),
    Stats(depth_ms=140, lag_ms=180),
)
SAMPLE_ROOM_NAMES = [{"u": ROOM, "n": "Late Jazz with Mara", "l": 42}]
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

# What the list screens show in screenshots and layout checks, as the engine's pages would
# fill them (presenters turn pages into these tiles; tests/ui checks that path separately).
SAMPLE_LISTS: dict[str, list[Item]] = {
    "rooms": [
        Item("Late Jazz with Mara", "42 listening · The Blue Ring Trio - Night Bus", "room", ROOM),
        Item("Morning Commute Café", "17 listening · news, pop", "room", ROOM + "?2"),
        Item("Neon Highway", "9 listening · synthwave", "room", ROOM + "?3"),
        Item("Small Town Stories", "3 listening · folk", "room", ROOM + "?4"),
    ],
    "search": [
        Item("#jazz", "2 live rooms", "search", "#jazz "),
        Item("#roadtrip", "1 live room", "search", "#roadtrip "),
        Item("Jazz", "1 live room", "search", "genre:jazz "),
        Item("The Blue Ring Trio", "Artist", "search", "artist:The Blue Ring Trio "),
    ],
    "library": [
        Item("The Blue Ring Trio", "2 albums, 18 tracks", "artist", "The Blue Ring Trio"),
        Item("Brightwater", "1 album, 9 tracks", "artist", "Brightwater"),
        Item("Okafor & Sons", "3 albums, 31 tracks", "artist", "Okafor & Sons"),
        Item("Ζωή Νικολάου", "1 album, 12 tracks", "artist", "Ζωή Νικολάου"),
    ],
    "bluetooth": [
        Item("Pixel 8", "4C:1F:2A:77:90:0B", "phone", "4C:1F:2A:77:90:0B"),
        Item("Giulia's iPhone", "6A:33:10:C2:5E:81", "phone", "6A:33:10:C2:5E:81"),
    ],
}
LONG_LISTS: dict[str, list[Item]] = {
    screen: [
        Item(
            "Ночное радио для дальнобойщиков и всех, кто в пути до рассвета " + str(n),
            "Ελληνική Ορχήστρα Τζαζ και πολλοί άλλοι καλλιτέχνες του δρόμου",
            items[0].kind,
            items[0].target,
        )
        for n in range(23)
    ]
    for screen, items in SAMPLE_LISTS.items()
}


def write_sample_cover(path: Path, size: int = 96) -> Path:
    """A cover picture like the demo rooms' (navy, an amber diagonal), as a PNG at ``path``."""
    from kivy.core.image import Image as CoreImage
    from kivy.graphics.texture import Texture

    navy, amber = (32, 40, 96), (236, 176, 64)
    pixels = bytearray()
    for y in range(size):
        for x in range(size):
            pixels += bytes(amber if abs(x - y) < size // 8 else navy) + b"\xff"
    texture = Texture.create(size=(size, size), colorfmt="rgba")
    texture.blit_buffer(bytes(pixels), colorfmt="rgba", bufferfmt="ubyte")
    CoreImage(texture).save(str(path))
    return path


# The engine's reply to ``outputs`` on a unit with a DAC HAT and a USB card plugged in.
SAMPLE_OUTPUTS = {
    "current": "pyaudio:snd_rpi_hifiberry_dac: HifiBerry DAC HiFi pcm5102a-hifi-0 (hw:0,0)",
    "choices": [
        "pyaudio:snd_rpi_hifiberry_dac: HifiBerry DAC HiFi pcm5102a-hifi-0 (hw:0,0)",
        "pyaudio:USB Audio Device: USB Audio (hw:1,0)",
        "pyaudio:default",
        "null",
    ],
}
