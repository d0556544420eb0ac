"""The demo line-up: rooms (Icecast mounts) with their directory data and playlists.

Every room has its own pilot signature frequency (see :mod:`studio.pilot`) so a test that
captures the unit's output can tell which room it is hearing. Signature frequencies sit
between the notes a chord progression uses, at least 60 Hz apart from one another. Every
room names its host (the ``HOST`` tag) and carries a cover picture of its own colours
(:mod:`studio.cover_art`) on each link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from studio.cover_art import cover_tags, stripe_png

SegmentKind = Literal["music", "talk"]


@dataclass(frozen=True)
class Song:
    """One playlist entry; it becomes one chained Ogg link carrying these tags."""

    artist: str
    title: str
    album: str
    kind: SegmentKind = "music"

    def __post_init__(self) -> None:
        if self.kind not in ("music", "talk"):
            raise ValueError(f"Song.kind must be 'music' or 'talk', got {self.kind!r}")


@dataclass(frozen=True)
class RoomSpec:
    """A room as the studio broadcasts it: Icecast directory data, playlist, pilot."""

    mount: str  # "/late-jazz.opus"
    name: str
    description: str  # shown in the directory; carries the room's #hashtags
    genre: str
    playlist: tuple[Song, ...]
    signature_hz: float  # pilot tone that identifies the room (studio.pilot)
    seed: int = 0  # makes the synthesised programme deterministic
    tags: dict[str, str] = field(default_factory=dict)  # extra OpusTags on every link

    def __post_init__(self) -> None:
        if not self.mount.startswith("/") or " " in self.mount:
            raise ValueError(f"mount must start with '/' and contain no spaces: {self.mount!r}")
        if not self.playlist:
            raise ValueError(f"room {self.name!r} needs at least one song")
        if not 300.0 <= self.signature_hz <= 2000.0:
            raise ValueError(
                f"signature_hz must be within 300-2000 Hz (studio.pilot), got {self.signature_hz}"
            )

    @property
    def hashtags(self) -> list[str]:
        return [word.rstrip(".,;:!?") for word in self.description.split() if word[:1] == "#"]


DEMO_ROOMS: tuple[RoomSpec, ...] = (
    RoomSpec(
        mount="/late-jazz.opus",
        name="Late Jazz with Mara",
        description="Smoky standards for the night drive. #jazz #latenight #chill",
        genre="Jazz",
        signature_hz=470.0,
        seed=1,
        tags={"HOST": "Mara Okafor", **cover_tags(stripe_png((32, 40, 96), (236, 176, 64)))},
        playlist=(
            Song("Mara Okafor", "Good evening, drivers", "Late Jazz Live", "talk"),
            Song("The Blue Ring Trio", "Night Bus", "Lanterns"),
            Song("Ella Brightwater", "Autumn Exit", "Motorway Standards"),
            Song("Mara Okafor", "Requests from the road", "Late Jazz Live", "talk"),
            Song("Sam Kettle Quartet", "Tunnel Vision", "Underpass"),
        ),
    ),
    RoomSpec(
        mount="/morning-commute.opus",
        name="Morning Commute Café",
        description="Traffic, headlines and coffee-shop pop. #commute #news #café ☕",
        genre="Talk",
        signature_hz=610.0,
        seed=2,
        tags={"HOST": "Jonas & Priya", **cover_tags(stripe_png((200, 120, 60), (250, 236, 200)))},
        playlist=(
            Song("Jonas & Priya", "Traffic on the ring road", "Morning Commute", "talk"),
            Song("Paper Lanterns", "Sunrise Lane", "Early Hours"),
            Song("Jonas & Priya", "Headlines", "Morning Commute", "talk"),
            Song("Kaito Ren", "Green Wave", "Signals"),
        ),
    ),
    RoomSpec(
        mount="/synth-highway.opus",
        name="Synth Highway",
        description="Retro synthwave for long straight roads. #synthwave #roadtrip #80s",
        genre="Electronic",
        signature_hz=760.0,
        seed=3,
        tags={"HOST": "DJ Kilometre", **cover_tags(stripe_png((60, 20, 90), (255, 60, 180)))},
        playlist=(
            Song("Neon Odometer", "Overdrive", "Chrome Horizon"),
            Song("Vela Tide", "Exit 88", "Night Grid"),
            Song("DJ Kilometre", "Shout-outs", "Synth Highway Live", "talk"),
            Song("Neon Odometer", "Rear View", "Chrome Horizon"),
        ),
    ),
    RoomSpec(
        mount="/folk-roads.opus",
        name="Folk Roads",
        description="Acoustic stories from small towns. #folk #acoustic #storytelling",
        genre="Folk",
        signature_hz=920.0,
        seed=4,
        tags={"HOST": "Ruth Amsel", **cover_tags(stripe_png((60, 90, 50), (220, 200, 150)))},
        playlist=(
            Song("Hazel & the Hollows", "Gravel Shoulder", "County Lines"),
            Song("Ruth Amsel", "Letters to the valley", "Folk Roads Live", "talk"),
            Song("Owen Marsh", "Milepost 12", "Old Routes"),
        ),
    ),
)
