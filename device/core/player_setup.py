"""Build a player and its output from the config: shared by the engine and ``play``.

Kept apart from ``device.engine`` so that playing a room directly loads only the audio path,
not the catalog, the control socket or the directory clients (a quicker start, less memory).
"""

from __future__ import annotations

import logging

from device.audio.outputs import OutputError, open_output
from device.audio.outputs.base import AudioOutput
from device.audio.playout import LivePolicy, RoadPolicy
from device.config import Config
from device.core.art_cache import ArtCache
from device.core.player import Player
from device.sources.room_stream import RoomStreamConfig

log = logging.getLogger("drivetime.engine")
AUTO_OUTPUT = "auto"
NULL_OUTPUT = "null"


def open_configured_output(spec: str, frames_per_block: int) -> AudioOutput:
    """Open the configured output; ``auto`` is the sound card, or ``null`` when there is none."""
    if spec != AUTO_OUTPUT:
        return open_output(spec, frames_per_block=frames_per_block)
    try:
        return open_output("pyaudio", frames_per_block=frames_per_block)
    except OutputError as exc:
        log.warning("no sound device (%s): playing to the null output instead", exc)
        return open_output(NULL_OUTPUT, frames_per_block=frames_per_block)


def build_player(
    config: Config,
    output: AudioOutput,
    mode: str | None = None,
    volume: int | None = None,
    art: ArtCache | None = None,
) -> Player:
    """The configured player; ``art`` is where pictures of what plays go (the engine's, for
    the touchscreen), None for no pictures (``play`` prints text only)."""
    return Player(
        output,
        live=LivePolicy(
            target_ms=config.live.target_ms,
            start_ms=config.live.start_ms,
            max_excess_ms=config.live.max_excess_ms,
        ),
        road=RoadPolicy(
            target_ms=config.road.target_ms, start_ms=config.road.start_ms, grow=config.road.grow
        ),
        network=RoomStreamConfig(
            connect_timeout_s=config.network.connect_timeout_s,
            stall_timeout_s=config.network.stall_timeout_s,
            backoff_initial_s=config.network.backoff_initial_s,
            backoff_max_s=config.network.backoff_max_s,
        ),
        mode=mode or config.audio.mode,
        volume=config.audio.volume if volume is None else volume,
        art=art,
    )
