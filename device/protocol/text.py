"""Human-readable lines for protocol messages: the unit's ``ctl`` and the phone's CLI print
the same things the same way. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from device.protocol.link_messages import Car, Pairing
    from device.protocol.messages import Event, NowPlaying, PlayerState, Stats
    from device.protocol.panel_messages import Light, PanelInput, Power


def event_line(event: Event) -> str:
    # Looked up by wire name, not isinstance: printing a player event must not load the link
    # and panel message families (``drivetime-unit play`` starts at every ignition).
    line_of: Callable[[Any], str] | None = _LINES.get(event.name)
    return line_of(event) if line_of is not None else repr(event)


def _state_line(event: PlayerState) -> str:
    line = f"state: {event.state}"
    if event.room:
        line += f"  room: {event.room}"
    line += f"  mode: {event.mode}  volume: {event.volume}"
    if event.detail:
        line += f"  ({event.detail})"
    return line


def _now_playing_line(event: NowPlaying) -> str:
    parts = [event.artist or "unknown artist", event.title or "untitled"]
    line = "now playing: " + " — ".join(parts)
    line += f" ({event.album})" if event.album else ""
    return line + (f"  host: {event.host}" if event.host else "")


def _stats_line(event: Stats) -> str:
    lag = f"  lag {event.lag_ms} ms" if event.lag_ms >= 0 else ""
    return (
        f"stats: depth {event.depth_ms} ms  underruns {event.underruns}  "
        f"concealed {event.concealed_ms} ms  skipped {event.skipped_ms} ms  "
        f"missed {event.missed_ms} ms  gap {event.gap_ms} ms{lag}"
    )


def _pairing_line(event: Pairing) -> str:
    digits = f"  compare {event.digits}" if event.digits else ""
    phone = f"  phone: {event.phone}" if event.phone else ""
    return f"pairing: {event.state}{digits}{phone}"


def _car_line(event: Car) -> str:
    return f"car: {'driving' if event.driving else 'parked'}"


def _power_line(event: Power) -> str:
    left = f"  powering off in {event.seconds} s" if event.state == "off" else ""
    return f"power: {event.state}{left}"


def _light_line(event: Light) -> str:
    return f"light: {event.permille / 10:.1f} %"


def _panel_line(event: PanelInput) -> str:
    steps = f" {event.steps:+d}" if event.action == "turn" else ""
    return f"panel: {event.control} {event.action}{steps}"


_LINES: dict[str, Callable[[Any], str]] = {
    "state": _state_line,
    "now": _now_playing_line,
    "stats": _stats_line,
    "pairing": _pairing_line,
    "car": _car_line,
    "power": _power_line,
    "light": _light_line,
    "panel": _panel_line,
}


def listing_lines(data: dict) -> str:
    """A search or browse reply as lines: one group heading per page, one line per item."""
    pages = {"": data} if "items" in data else data
    lines = []
    for group, page in pages.items():
        if not isinstance(page, dict) or "items" not in page:
            continue
        if group:
            lines.append(f"{group} ({page['total']}):")
        if "now" in page:  # the queue: which track plays, how far in
            shuffled = ", shuffled" if page.get("shuffle") else ""
            lines.append(f"playing track {page['now'] + 1} at {page['s']:g} s{shuffled}")
        lines += ["  " + _item_line(item) for item in page["items"]]
        shown = page["offset"] + len(page["items"])
        if shown < page["total"]:
            lines.append(f"  … {page['total'] - shown} more")
    return "\n".join(lines) if lines else "(nothing)"


def _item_line(item: dict) -> str:
    if "al" in item:  # an album of the local library
        return f"{item['al']} — {item['ar']}  ({item['nt']} tracks)"
    if "ar" in item:  # an artist of the local library
        return f"{item['ar'] or '(no artist)'}  ({item['na']} albums, {item['nt']} tracks)"
    if "u" in item:  # a room
        song = f"  ♪ {item.get('a', '')} — {item.get('t', '')}" if "t" in item else ""
        star = "★ " if item.get("f") else ""
        return f"{star}{item['n']}  [{item.get('g', '')}]  {item['u']}{song}"
    if "p" in item:  # a local track (in the queue: with its place)
        place = f"{item['i'] + 1}. " if "i" in item else ""
        return f"{place}{item['a']} — {item['t']} ({item['b']})  {item['p']}"
    if "s" in item:  # a preset
        return f"preset {item['s']}: {item['k']} {item['n']}"
    if "c" in item:  # a hashtag or genre
        return f"{item['n']}  ({item['c']} live)"
    return f"{item.get('k', '')} {item.get('n', '')}  {item.get('t', '')}"
