"""Composition root: config → adapters → core → frontends, then run until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from device.audio.outputs import OutputError, open_output
from device.audio.outputs.base import AudioOutput
from device.audio.playout import LivePolicy, RoadPolicy
from device.config import Config
from device.core.player import Player
from device.frontends.control_socket import ControlServer
from device.sources.room_stream import RoomStreamConfig

log = logging.getLogger("drivetime.engine")
AUTO_OUTPUT = "auto"


def open_configured_output(spec: str, frames_per_block: int) -> AudioOutput:
    """Open the configured output; ``auto`` is the sound card, or ``null`` when there is none."""
    if spec != AUTO_OUTPUT:
        return open_output(spec, frames_per_block=frames_per_block)
    try:
        return open_output("pyaudio", frames_per_block=frames_per_block)
    except OutputError as exc:
        log.warning("no sound device (%s): playing to the null output instead", exc)
        return open_output("null", frames_per_block=frames_per_block)


def build_player(
    config: Config, output: AudioOutput, mode: str | None = None, volume: int | None = None
) -> Player:
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
    )


class Engine:
    """The running engine: one output, one player, the control socket."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.output = open_configured_output(config.audio.output, config.audio.frames_per_block)
        self.player = build_player(config, self.output)
        self.server = ControlServer(self.player, config.engine.socket_path)

    async def start(self) -> None:
        await self.player.start()
        await self.server.start()
        log.info(
            "engine ready: output %s, control socket %s",
            self.output.spec,
            self.config.engine.socket_path,
        )

    async def close(self) -> None:
        await self.server.close()
        await self.player.close()
        log.info("engine stopped")


async def run_engine(config: Config, join: str | None = None) -> None:
    """Run the engine until SIGINT or SIGTERM; ``join`` selects a room at start."""
    engine = Engine(config)
    await engine.start()
    if join:
        await engine.player.join(join)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await engine.close()
