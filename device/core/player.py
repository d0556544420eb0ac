"""The player: which room or file plays, in what state, at what volume and buffer mode.

It wires a source (a room stream or a local file) through the demuxer into the playout
buffer, and the renderer into one long-lived output, so joining a room never waits for a
sound device to open. Lower layers report upward through callbacks; anything arriving on the
render thread is handed to the event loop with ``call_soon_threadsafe`` before listeners see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from device.audio.opus_head import UnsupportedStream
from device.audio.opus_stream import OpusStreamReader
from device.audio.outputs.base import AudioOutput
from device.audio.packets import AudioPacket, StreamInfo
from device.audio.pcm import OPUS_RATE
from device.audio.playout import LivePolicy, PlayoutBuffer, RoadPolicy
from device.audio.renderer import Renderer
from device.core.lag import LagMeter
from device.core.listener import PlayerListener, PlayerSnapshot, PlayoutStats
from device.sources.local_file import LocalFileFeed
from device.sources.room_stream import (
    RoomProblem,
    RoomStream,
    RoomStreamConfig,
    RoomStreamState,
)

TICK_S = 0.05  # how often buffering → playing is noticed; well under a glance
MODES = ("live", "road")


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class Player:
    def __init__(
        self,
        output: AudioOutput,
        *,
        live: LivePolicy | None = None,
        road: RoadPolicy | None = None,
        network: RoomStreamConfig | None = None,
        mode: str = "live",
        volume: int = 50,
        stats_interval_s: float = 1.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be live or road, got {mode!r}")
        self._output = output
        self._policies = {"live": live or LivePolicy(), "road": road or RoadPolicy()}
        self._network = network or RoomStreamConfig()
        self._mode = mode
        self._volume = volume
        self._stats_interval_s = stats_interval_s
        self._listeners: list[PlayerListener] = []
        self._state = "idle"
        self._room = ""
        self._detail = ""
        self._buffer = PlayoutBuffer(MonotonicClock(), self._policies[mode])
        self._lag = LagMeter(output_latency_ms=output.latency_ms)
        self._renderer = Renderer(
            self._buffer,
            on_stream_start=self._stream_started_on_render_thread,
            on_packet_played=self._packet_played_on_render_thread,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._reader: OpusStreamReader | None = None
        self._file_feed: LocalFileFeed | None = None
        self.first_audio_monotonic: float | None = None  # first packet rendered since join
        self.now_playing: tuple[str, str, str] | None = None  # (artist, title, album) audible

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, *, paced: bool = True) -> None:
        """Start the output (silence until something plays) and the state ticker."""
        self._loop = asyncio.get_running_loop()
        self._output.set_volume(self._volume)
        self._output.start(self._renderer, paced=paced)
        self._ticker = asyncio.create_task(self._tick_forever(), name="player-ticker")

    async def close(self) -> None:
        await self._stop_source()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await asyncio.to_thread(self._output.stop)
        self._renderer.close()

    def add_listener(self, listener: PlayerListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: PlayerListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- commands -------------------------------------------------------------------------

    async def join(self, url: str) -> None:
        """Select a room: play it, and keep reconnecting for as long as it stays selected."""
        await self._stop_source()
        self._buffer.reset()
        self._renderer.set_feed(self._buffer)
        self._room = url
        self._set_state("connecting")
        self.first_audio_monotonic = None
        stream = RoomStream(
            url,
            on_connected=self._connected,
            on_data=self._received,
            on_state=self._stream_state,
            config=self._network,
        )
        self._stream_task = asyncio.create_task(stream.run(), name=f"room {url}")

    async def play_file(self, path: str | Path) -> None:
        """Play a local Ogg Opus file to its end (listeners get on_ended)."""
        await self._stop_source()
        self._file_feed = LocalFileFeed(path)
        self._room = str(path)
        self.first_audio_monotonic = None
        self._renderer.set_feed(self._file_feed)
        self._set_state("playing")

    async def stop(self) -> None:
        await self._stop_source()
        self._buffer.reset()
        self._room = ""
        self._set_state("idle")

    def pause(self) -> None:
        if self._state == "idle":
            raise RuntimeError("nothing is playing")
        self._renderer.paused = True
        self._set_state("paused")

    def resume(self) -> None:
        if self._state != "paused":
            raise RuntimeError("the player is not paused")
        self._renderer.paused = False
        self._set_state("playing" if self._buffer.playing or self._file_feed else "buffering")

    def set_volume(self, percent: int) -> None:
        if not 0 <= percent <= 100:
            raise ValueError(f"volume must be 0..100, got {percent}")
        self._volume = percent
        self._output.set_volume(percent)
        self._emit_state()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be live or road, got {mode!r}")
        self._mode = mode
        self._buffer.set_policy(self._policies[mode])
        self._emit_state()

    def snapshot(self) -> PlayerSnapshot:
        return PlayerSnapshot(self._state, self._room, self._mode, self._volume, self._detail)

    def stats(self) -> PlayoutStats:
        counters = self._buffer.counters
        return PlayoutStats(
            depth_ms=round(self._buffer.depth_ms),
            underruns=counters.underruns,
            concealed_ms=round(counters.concealed_ms),
            skipped_ms=round(counters.skipped_ms),
            missed_ms=round(counters.missed_ms),
            gap_ms=round(self._renderer.gap_frames * 1000 / OPUS_RATE),
            stretched_ms=round(counters.stretched_ms),
            lag_ms=self._lag.lag_ms,
        )

    # --- room stream callbacks (event loop) -------------------------------------------------

    def _connected(self, connection: int) -> None:
        # Each HTTP response starts with the stream headers again: a fresh demuxer.
        self._reader = OpusStreamReader()

    def _received(self, data: bytes) -> None:
        if self._reader is None:
            return
        try:
            events = self._reader.feed(data)
        except UnsupportedStream as exc:
            self._reader = None
            self._set_state("error", str(exc))
            return
        for event in events:
            if isinstance(event, AudioPacket):
                self._buffer.push(event)

    def _stream_state(self, state: RoomStreamState, problem: RoomProblem | None) -> None:
        detail = _problem_text(problem)
        if state is RoomStreamState.STREAMING:
            self._set_state("playing" if self._buffer.playing else "buffering")
        elif state is RoomStreamState.CONNECTING:
            self._set_state("reconnecting" if self._state != "connecting" else "connecting")
        elif state in (RoomStreamState.STALLED, RoomStreamState.RECONNECTING):
            self._set_state("reconnecting", detail)
        else:  # ENDED, ERROR: the stream keeps retrying; the driver sees why it is silent
            self._set_state("error", detail)

    # --- render thread callbacks ------------------------------------------------------------

    def _stream_started_on_render_thread(self, info: StreamInfo) -> None:
        self._lag.stream_started(info)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._announce, info)

    def _packet_played_on_render_thread(self, packet: AudioPacket) -> None:
        if self.first_audio_monotonic is None:
            self.first_audio_monotonic = time.monotonic()
        self._lag.packet_played(packet)

    # --- internals --------------------------------------------------------------------------

    def _announce(self, info: StreamInfo) -> None:
        tags = info.now_playing
        self.now_playing = (tags.get("artist", ""), tags.get("title", ""), tags.get("album", ""))
        for listener in list(self._listeners):
            listener.on_now_playing(*self.now_playing)

    async def _tick_forever(self) -> None:
        next_stats = time.monotonic() + self._stats_interval_s
        while True:
            await asyncio.sleep(TICK_S)
            if self._state == "buffering" and self._buffer.playing:
                self._set_state("playing")
            if self._file_feed is not None and self._renderer.ended:
                self._file_feed = None
                self._room = ""
                self._set_state("idle")
                for listener in list(self._listeners):
                    listener.on_ended()
            if time.monotonic() >= next_stats:
                next_stats += self._stats_interval_s
                if self._state != "idle":
                    stats = self.stats()
                    for listener in list(self._listeners):
                        listener.on_stats(stats)

    async def _stop_source(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stream_task
            self._stream_task = None
        self._reader = None
        self.now_playing = None
        if self._file_feed is not None:
            self._file_feed.close()
            self._file_feed = None
        self._renderer.paused = False

    def _set_state(self, state: str, detail: str = "") -> None:
        if (state, detail) == (self._state, self._detail):
            return
        self._state, self._detail = state, detail
        self._emit_state()

    def _emit_state(self) -> None:
        snapshot = self.snapshot()
        for listener in list(self._listeners):
            listener.on_state(snapshot)


def _problem_text(problem: RoomProblem | None) -> str:
    if problem is None:
        return ""
    return str(getattr(problem, "message", problem.name.lower().replace("_", " ")))
