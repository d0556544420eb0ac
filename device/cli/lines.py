"""One-line, human-readable renderings of events for the terminal."""

from __future__ import annotations

from device.protocol import Event, NowPlaying, PlayerState, Stats


def event_line(event: Event) -> str:
    if isinstance(event, PlayerState):
        line = f"state: {event.state}"
        if event.room:
            line += f"  room: {event.room}"
        line += f"  mode: {event.mode}  volume: {event.volume}"
        if event.detail:
            line += f"  ({event.detail})"
        return line
    if isinstance(event, NowPlaying):
        parts = [event.artist or "unknown artist", event.title or "untitled"]
        line = "now playing: " + " — ".join(parts)
        return line + (f" ({event.album})" if event.album else "")
    if isinstance(event, Stats):
        lag = f"  lag {event.lag_ms} ms" if event.lag_ms >= 0 else ""
        return (
            f"stats: depth {event.depth_ms} ms  underruns {event.underruns}  "
            f"concealed {event.concealed_ms} ms  skipped {event.skipped_ms} ms  "
            f"missed {event.missed_ms} ms  gap {event.gap_ms} ms{lag}"
        )
    return repr(event)
