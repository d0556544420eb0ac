"""Player notifications as protocol events: what every remote (and ``play``) prints or sends."""

from __future__ import annotations

from dataclasses import asdict

from device.core.listener import PlayerSnapshot, PlayoutStats
from device.protocol import NowPlaying, PlayerState, Stats
from device.protocol.messages import MAX_HOST_CHARS

DETAIL_MAX_CHARS = 256
"""Free text fields are cut here: an event must stay a few GATT fragments long."""


def state_event(snapshot: PlayerSnapshot) -> PlayerState:
    return PlayerState(
        state=snapshot.state,
        room=snapshot.room,
        mode=snapshot.mode,
        volume=snapshot.volume,
        detail=snapshot.detail[:DETAIL_MAX_CHARS],
    )


def now_playing_event(
    artist: str, title: str, album: str, host: str = "", art: str = ""
) -> NowPlaying:
    return NowPlaying(
        artist=artist[:DETAIL_MAX_CHARS],
        title=title[:DETAIL_MAX_CHARS],
        album=album[:DETAIL_MAX_CHARS],
        host=host[:MAX_HOST_CHARS],
        art=art,
    )


def stats_event(stats: PlayoutStats) -> Stats:
    return Stats(**asdict(stats))
