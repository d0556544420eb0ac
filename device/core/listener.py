"""How the core tells the outside world what happens: listeners with no-op defaults.

Listeners are called on the engine's event loop thread, never from the audio thread, and
MUST NOT block: a frontend that needs to do I/O queues it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlayerSnapshot:
    state: str  # idle, connecting, buffering, playing, paused, reconnecting, error
    room: str  # URL of the selected room or file, "" when idle
    mode: str  # live or road
    volume: int  # percent
    detail: str = ""  # why the player is in this state, for the driver


@dataclass(frozen=True)
class PlayoutStats:
    depth_ms: int
    underruns: int
    concealed_ms: int
    skipped_ms: int
    missed_ms: int
    gap_ms: int  # heard as concealment or silence since this room's first audio
    stretched_ms: int  # quiet frames played twice to grow the road buffer
    lag_ms: int  # behind the room's source clock, -1 when the source does not say


@dataclass(frozen=True)
class NowPlayingInfo:
    """What is audible: the song's text, the show's host and the picture to show."""

    artist: str = ""
    title: str = ""
    album: str = ""
    host: str = ""  # a room's HOST tag: who presents the show
    art: str = ""  # file name of the picture in the art cache (ArtCache), "" without one


class PlayerListener:
    def on_state(self, snapshot: PlayerSnapshot) -> None:
        pass

    def on_now_playing_info(self, song: NowPlayingInfo) -> None:
        """A new song (or show segment) reaches the speakers. Listeners that need only its
        text override ``on_now_playing``, which this passes it on to."""
        self.on_now_playing(song.artist, song.title, song.album)

    def on_now_playing(self, artist: str, title: str, album: str) -> None:
        pass

    def on_stats(self, stats: PlayoutStats) -> None:
        pass

    def on_ended(self) -> None:
        """A local file has played to its end."""
