"""The player: which room or file plays, in what state, at what volume and buffer mode.

It wires a source (a room stream or a local file) through the demuxer into the playout
buffer, and the renderer into one long-lived output, so joining a room never waits for a
sound device to open. Lower layers report upward through callbacks; anything arriving on the
render thread is handed to the event loop with ``call_soon_threadsafe`` before listeners see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from device.audio.media_types import MP3_MEDIA_TYPES
from device.audio.opus_head import UnsupportedStream
from device.audio.opus_stream import OpusStreamReader, StreamStarted
from device.audio.outputs.base import AudioOutput
from device.audio.packets import AudioPacket, StreamInfo
from device.audio.pcm import OPUS_RATE
from device.audio.playout import LivePolicy, PlayoutBuffer, RoadPolicy
from device.audio.renderer import Renderer
from device.core.art_cache import ArtCache
from device.core.artwork import Artwork
from device.core.lag import LagMeter
from device.core.listener import NowPlayingInfo, PlayerListener, PlayerSnapshot, PlayoutStats
from device.core.music_queue import MusicQueue, QueuedTrack, TrackFeed
from device.sources.room_stream import (
    RoomProblem,
    RoomStream,
    RoomStreamConfig,
    RoomStreamState,
    parse_room_url,
)

if TYPE_CHECKING:
    from device.audio.mp3_stream import Mp3StreamReader

log = logging.getLogger(__name__)
STATS_LIMIT = 2**31 - 1  # what the protocol carries; a lying source must not overflow it
TICK_S = 0.25  # how often buffering → playing is noticed: well under a glance, and 4
# event-loop wake-ups a second instead of 10 (each one costs the loop's fixed wake-up CPU)
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
        art: ArtCache | None = None,
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
        self._reader: OpusStreamReader | Mp3StreamReader | None = None
        self._room_stream: RoomStream | None = None
        self._music: MusicQueue | None = None  # local tracks, while they play
        self._streaming = False  # the room's HTTP stream (or the phone's relay) is delivering
        self._relaying = False
        self._generation = 0  # bumped on every join/play/stop: stale callbacks are ignored
        self._output_failed = False
        self.first_audio_monotonic: float | None = None  # first packet rendered since join
        self._artwork = Artwork(art)  # pictures of what plays; None: "art" stays ""
        self.now_playing: NowPlayingInfo | None = None  # what is audible

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, *, paced: bool = True) -> None:
        """Start the output (silence until something plays) and the state ticker."""
        self._loop = asyncio.get_running_loop()
        self._output.set_volume(self._volume)
        self._output.start(self._renderer, paced=paced)
        self._ticker = asyncio.create_task(self._tick_forever(), name="player-ticker")

    async def switch_output(self, output: AudioOutput) -> AudioOutput:
        """Play through ``output`` from now on (the driver chose another in Settings); the
        old output is stopped and returned. What plays goes on: the renderer is the same, only
        its puller changes, so a switch costs the old device's queued blocks, no more."""
        old, self._output = self._output, output
        await asyncio.to_thread(old.stop)
        self._output_failed = False
        output.set_volume(self._volume)
        output.start(self._renderer, paced=True)
        self._lag = LagMeter(output_latency_ms=output.latency_ms)
        self._emit_state()
        return old

    @property
    def output(self) -> AudioOutput:
        return self._output

    async def close(self) -> None:
        await self._stop_source()
        await self._artwork.close()
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
        """Select a room: play it, and keep reconnecting for as long as it stays selected.

        A URL the room client cannot play raises ValueError and leaves what plays untouched.
        """
        parse_room_url(url)
        await self._stop_source()
        self._buffer.reset()
        self._lag = LagMeter(output_latency_ms=self._output.latency_ms)
        self._renderer.set_feed(self._buffer)
        self._room = url
        self._set_state("connecting")
        self.first_audio_monotonic = None
        stream = self._room_stream = RoomStream(
            url,
            on_connected=self._connected,
            on_data=self._received,
            on_state=self._stream_state,
            config=self._network,
        )
        self._stream_task = asyncio.create_task(stream.run(), name=f"room {url}")
        self._stream_task.add_done_callback(self._stream_task_ended)

    async def start_relay(self, label: str) -> None:
        """Play the room the phone relays: its Ogg/Opus bytes arrive through ``feed_relay``
        (the Bluetooth link's AUDIO characteristic) instead of an HTTP connection, and go the
        same way from there — demuxer, playout buffer, renderer: the same samples."""
        await self._stop_source()
        self._buffer.reset()
        self._lag = LagMeter(output_latency_ms=self._output.latency_ms)
        self._renderer.set_feed(self._buffer)
        self._room = f"relay:{label}"
        self._reader = OpusStreamReader()
        self._relaying = self._streaming = True
        self.first_audio_monotonic = None
        self._set_state("buffering")

    def feed_relay(self, data: bytes) -> None:
        """Relayed stream bytes, in order (event loop). Ignored unless a relay was started."""
        if self._relaying:
            self._received(data)

    async def play_file(self, path: str | Path) -> None:
        """Play one local music file to its end (listeners get on_ended).

        A file that cannot be opened or played raises OSError/ValueError and leaves what
        plays untouched.
        """
        await self.play_tracks([QueuedTrack(str(path))])

    async def play_tracks(
        self,
        tracks: Sequence[QueuedTrack],
        *,
        start_index: int = 0,
        start_seconds: float = 0.0,
        shuffle: bool = False,
    ) -> None:
        """Play local tracks back to back from ``start_index`` (``start_seconds`` into it).

        Raises ValueError when none of them can be played; what plays is then untouched.
        """
        queue = await asyncio.to_thread(
            MusicQueue,
            tracks,
            _open_track,
            start_index=start_index,
            start_frame=round(start_seconds * OPUS_RATE),
            shuffle=shuffle,
        )
        await self._stop_source()
        self._music = queue
        self._room = queue.current()[1].path
        self.first_audio_monotonic = None
        self._renderer.set_feed(queue)
        self._set_state("playing")

    def next_track(self) -> None:
        self._require_music().next()

    def previous_track(self) -> None:
        self._require_music().previous()

    def set_shuffle(self, on: bool) -> None:
        self._require_music().set_shuffle(on)

    @property
    def music(self) -> MusicQueue | None:
        """The music queue while local tracks play (read-only use: position, order)."""
        return self._music

    def _require_music(self) -> MusicQueue:
        if self._music is None:
            raise RuntimeError("no local music is playing")
        return self._music

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
        self._set_state(self._flowing_state())

    def set_volume(self, percent: int) -> None:
        if not 0 <= percent <= 100:
            raise ValueError(f"volume must be 0..100, got {percent}")
        self._volume = percent
        self._output.set_volume(percent)
        self._emit_state()

    async def fade_out(self, seconds: float, steps: int = 25) -> None:
        """Take the output down to silence over ``seconds`` (the ignition went off), in equal
        dB steps; the volume setting itself — what the driver chose, and what is saved to
        come back to — is left as it is. ``restore_volume`` undoes it."""
        for step in range(1, steps + 1):
            self._output.set_volume(round(self._volume * (1 - step / steps)))
            await asyncio.sleep(seconds / steps)

    def restore_volume(self) -> None:
        """Back to the driver's volume after ``fade_out`` (ramped like any volume change)."""
        self._output.set_volume(self._volume)

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
            depth_ms=_clamp(self._buffer.depth_ms),
            underruns=_clamp(counters.underruns),
            concealed_ms=_clamp(counters.concealed_ms),
            skipped_ms=_clamp(counters.skipped_ms),
            missed_ms=_clamp(counters.missed_ms),
            gap_ms=_clamp(self._renderer.gap_frames * 1000 / OPUS_RATE),
            stretched_ms=_clamp(counters.stretched_ms),
            lag_ms=self._lag.lag_ms,
        )

    # --- room stream callbacks (event loop) -------------------------------------------------

    def _connected(self, connection: int) -> None:
        # Each HTTP response starts with the stream headers again: a fresh demuxer.
        self._drop_reader()
        stream = self._room_stream
        if stream is not None and stream.media_type in MP3_MEDIA_TYPES:
            from device.audio.mp3_stream import Mp3StreamReader  # miniaudio: only when needed

            name = stream.room_headers.get("ice-name") or ""
            self._reader = Mp3StreamReader(self._buffer.push, tags={"TITLE": name} if name else {})
        else:
            self._reader = OpusStreamReader()

    def _drop_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and not isinstance(reader, OpusStreamReader):
            reader.close()  # an MP3 decoder thread: nothing more reaches the buffer

    def _received(self, data: bytes) -> None:
        if self._reader is None:
            return
        try:
            events = self._reader.feed(data)
        except UnsupportedStream as exc:
            self._drop_reader()
            self._set_state("error", str(exc))
            return
        for event in events:
            if isinstance(event, AudioPacket):
                self._buffer.push(event)
            elif isinstance(event, StreamStarted):  # a new link: its picture, ahead of time
                self._artwork.stream_started(event.info, event.opus_tags)

    def _stream_state(self, state: RoomStreamState, problem: RoomProblem | None) -> None:
        detail = _problem_text(problem)
        self._streaming = state is RoomStreamState.STREAMING
        if self._state == "paused":
            return  # the driver paused: that is what the screen says until resume
        if state is RoomStreamState.STREAMING:
            self._set_state(self._flowing_state())
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
            self._loop.call_soon_threadsafe(self._announce, info, self._generation)

    def _packet_played_on_render_thread(self, packet: AudioPacket) -> None:
        if self.first_audio_monotonic is None:
            self.first_audio_monotonic = time.monotonic()
        self._lag.packet_played(packet)

    # --- internals --------------------------------------------------------------------------

    def _announce(self, info: StreamInfo, generation: int) -> None:
        if generation != self._generation:
            return  # a song of the room or file that was playing before the last join
        tags = info.now_playing
        song = NowPlayingInfo(
            artist=tags.get("artist", ""),
            title=tags.get("title", ""),
            album=tags.get("album", ""),
            host=info.tags.get("HOST", ""),
        )
        path = None
        if self._music is not None:  # the next track of the queue: the screen says which
            path = self._music.current()[1].path
            if path != self._room:
                self._room = path
                self._emit_state()
        self._artwork.announce(
            info, path, lambda art: self._now_playing(replace(song, art=art), generation)
        )

    def _now_playing(self, song: NowPlayingInfo, generation: int) -> None:
        if generation != self._generation:
            return  # the picture came after the driver chose something else
        self.now_playing = song
        self._notify("on_now_playing_info", song)

    def _flowing_state(self) -> str:
        """What a source that is delivering looks like: playing, or buffering toward it."""
        if self._music is not None or self._buffer.playing:
            return "playing"
        return "buffering" if self._streaming else "reconnecting"

    async def _tick_forever(self) -> None:
        next_stats = time.monotonic() + self._stats_interval_s
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self._tick()
                if time.monotonic() >= next_stats:
                    next_stats = time.monotonic() + self._stats_interval_s
                    if self._state != "idle":
                        self._notify("on_stats", self.stats())
            except Exception:  # the ticker is the player's heartbeat: it must outlive bugs
                log.exception("player tick failed")

    def _tick(self) -> None:
        if self._output.error is not None and not self._output_failed:
            self._output_failed = True
            self._set_state("error", f"audio output failed: {self._output.error}"[:200])
            self._notify("on_ended")
            return
        if self._output_failed or self._state in ("paused", "idle", "error"):
            return
        if self._music is not None:
            if self._renderer.ended:
                music, self._music = self._music, None
                music.close()
                error = music.error
                self._room = ""
                self._set_state("error" if error else "idle", str(error or "")[:200])
                self._notify("on_ended")
            return
        if self._state in ("buffering", "playing"):
            # Running dry shows as buffering: the driver sees why it is silent.
            self._set_state(self._flowing_state())

    def _stream_task_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        log.error("room stream failed", exc_info=task.exception())
        if task is self._stream_task:
            self._set_state("error", f"room stream failed: {task.exception()}"[:200])

    async def _stop_source(self) -> None:
        self._generation += 1
        if self._stream_task is not None:
            self._stream_task.cancel()
            # A task that failed was reported by _stream_task_ended; do not raise it again.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._stream_task
            self._stream_task = None
        self._drop_reader()
        self._room_stream = None
        self._streaming = self._relaying = False
        self.now_playing = None
        self._artwork.forget()
        if self._music is not None:
            self._music.close()
            self._music = None
        self._renderer.paused = False

    def _set_state(self, state: str, detail: str = "") -> None:
        if (state, detail) == (self._state, self._detail):
            return
        self._state, self._detail = state, detail
        self._emit_state()

    def _emit_state(self) -> None:
        self._notify("on_state", self.snapshot())

    def _notify(self, method: str, *args: object) -> None:
        """Tell every listener; one that raises is logged and does not stop the others."""
        for listener in list(self._listeners):
            try:
                getattr(listener, method)(*args)
            except Exception:
                log.exception("listener %r failed in %s", listener, method)


def _open_track(track: QueuedTrack, start_frame: int) -> TrackFeed:
    # Imported on first use: the decoders (miniaudio) cost a room-only start 35 ms.
    from device.sources.music_files import open_music_feed

    return open_music_feed(track.path, tags=track.tags, start_frame=start_frame)


def _clamp(value: float) -> int:
    return max(0, min(STATS_LIMIT, round(value)))


def _problem_text(problem: RoomProblem | None) -> str:
    if problem is None:
        return ""
    return str(getattr(problem, "message", problem.name.lower().replace("_", " ")))
