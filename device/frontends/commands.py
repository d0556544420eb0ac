"""Apply protocol commands to the core: one dispatcher shared by every remote.

The control socket (touchscreen), the BLE link (phone) and the panel all go through here,
so a command means the same thing whoever sends it.
"""

from __future__ import annotations

from dataclasses import asdict

from device.core.listener import PlayerSnapshot, PlayoutStats
from device.core.player import Player
from device.protocol import (
    Command,
    Error,
    ErrorCode,
    Join,
    Message,
    Mode,
    NowPlaying,
    Ok,
    Pause,
    PlayerState,
    Resume,
    Stats,
    Status,
    Volume,
    Watch,
)


def state_event(snapshot: PlayerSnapshot) -> PlayerState:
    return PlayerState(
        state=snapshot.state,
        room=snapshot.room,
        mode=snapshot.mode,
        volume=snapshot.volume,
        detail=snapshot.detail[:256],
    )


def now_playing_event(artist: str, title: str, album: str) -> NowPlaying:
    return NowPlaying(artist=artist[:256], title=title[:256], album=album[:256])


def stats_event(stats: PlayoutStats) -> Stats:
    return Stats(**asdict(stats))


async def execute(player: Player, command: Command) -> Message:
    """Run one command and return its reply (Ok or Error); never raises for bad requests."""
    try:
        if isinstance(command, Status | Watch):
            pass
        elif isinstance(command, Join):
            await player.join(command.url)
        elif isinstance(command, Pause):
            player.pause()
        elif isinstance(command, Resume):
            player.resume()
        elif isinstance(command, Volume):
            player.set_volume(command.percent)
        elif isinstance(command, Mode):
            player.set_mode(command.mode)
        else:
            return Error(re=command.id, code=ErrorCode.UNKNOWN, msg=f"{command.name} unsupported")
    except (RuntimeError, ValueError) as exc:
        return Error(re=command.id, code=ErrorCode.REFUSED, msg=str(exc)[:256])
    return Ok(re=command.id, data=state_event(player.snapshot()).args())
