"""``drivetime-unit play``: play a room or a local file in this process, printing events.

Exit status: 0 when a file played to its end, 1 when playing failed (a bad file, an output
that failed on the way: the reason goes to stderr), 2 when it could not start (no such file,
a room URL the room client refuses, an output that cannot be opened), 128 + the signal number
when SIGINT or SIGTERM stopped it (a room plays until then). Every path closes the output,
so a file output is flushed and complete up to where playing stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from device.audio.outputs import AudioOutput, OutputError
from device.config import Config
from device.core.listener import PlayerListener, PlayerSnapshot, PlayoutStats
from device.core.player import Player
from device.core.player_setup import build_player, open_configured_output
from device.frontends.events import now_playing_event, state_event, stats_event
from device.protocol.text import event_line

DRAIN_TIMEOUT_S = 10.0  # after a file ends: the output plays what it holds (under a second)


class _PrintingListener(PlayerListener):
    """Prints events; remembers the state the player ended in (it may change afterwards)."""

    def __init__(self, wake: asyncio.Event, show_stats: bool) -> None:
        self._wake = wake
        self._show_stats = show_stats
        self._last: PlayerSnapshot | None = None
        self.final: PlayerSnapshot | None = None  # set when the player reports it has ended

    def on_state(self, snapshot: PlayerSnapshot) -> None:
        self._last = snapshot
        print(event_line(state_event(snapshot)), flush=True)

    def on_now_playing(self, artist: str, title: str, album: str) -> None:
        print(event_line(now_playing_event(artist, title, album)), flush=True)

    def on_stats(self, stats: PlayoutStats) -> None:
        if self._show_stats:
            print(event_line(stats_event(stats)), flush=True)

    def on_ended(self) -> None:
        self.final = self._last
        self._wake.set()


class _Signals:
    """SIGINT/SIGTERM set ``wake`` and are remembered. Handled on the loop, so a Ctrl-C never
    lands as KeyboardInterrupt in the middle of closing the output."""

    def __init__(self, wake: asyncio.Event) -> None:
        self._wake = wake
        self.signum: int | None = None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, self._received, signum)

    def _received(self, signum: int) -> None:
        self.signum = signum
        self._wake.set()


async def run_play(
    target: str, output_spec: str | None, mode: str | None, volume: int | None, config: Config
) -> int:
    is_room = target.startswith(("http://", "https://"))
    if not is_room and not Path(target).is_file():
        return _fail(f"no such file or room URL: {target}", status=2)
    wake = asyncio.Event()
    signals = _Signals(wake)
    try:
        output = open_configured_output(
            output_spec or config.audio.output, config.audio.frames_per_block
        )
    except OutputError as exc:
        return _fail(str(exc), status=2)
    if volume is None:
        # A file output captures the decoded PCM as it is; a sound card plays at the
        # configured volume.
        volume = 100 if output.spec.startswith("file:") else config.audio.volume
    player = build_player(config, output, mode, volume)
    listener = _PrintingListener(wake, show_stats=is_room)
    player.add_listener(listener)
    try:
        status = await _play(player, target, is_room, wake)
        if status == 0 and signals.signum is None and listener.final is not None:
            status = await _finish(listener.final, output)
    finally:
        await player.close()
    if signals.signum is not None:
        return 128 + signals.signum
    if status == 0 and output.error is not None:
        # The output failed after the player's last look (e.g. the final flush of a file).
        return _fail(f"audio output failed: {output.error}", status=1)
    return status


async def _play(player: Player, target: str, is_room: bool, wake: asyncio.Event) -> int:
    """Start playing and wait for the end or a signal; non-zero if it could not start."""
    if not is_room:
        # Select the file before the output starts: an unpaced output renders from its first
        # block as fast as decoding allows, and must not write leading silence.
        try:
            await player.play_file(target)
        except (OSError, ValueError) as exc:
            return _fail(f"{target}: {exc}", status=1)
    try:
        await player.start(paced=is_room)
    except OutputError as exc:
        return _fail(str(exc), status=2)
    if is_room:
        try:
            await player.join(target)
        except ValueError as exc:  # a URL the room client refuses (https, no host, ...)
            return _fail(str(exc), status=2)
    await wake.wait()
    return 0


async def _finish(final: PlayerSnapshot, output: AudioOutput) -> int:
    """The player has ended: report why if it failed, else let the output play out."""
    if final.state == "error":
        return _fail(final.detail or "playing failed", status=1)
    await asyncio.to_thread(output.wait_done, DRAIN_TIMEOUT_S)
    return 0


def _fail(reason: str, *, status: int) -> int:
    print(f"drivetime-unit play: {reason}", file=sys.stderr)
    return status
