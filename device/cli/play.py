"""``drivetime-unit play``: play a room or a local file in this process, printing events."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from device.audio.outputs import OutputError
from device.cli.lines import event_line
from device.config import Config
from device.core.listener import PlayerListener, PlayerSnapshot, PlayoutStats
from device.engine import build_player, open_configured_output
from device.frontends.commands import now_playing_event, state_event, stats_event


class _PrintingListener(PlayerListener):
    def __init__(self, ended: asyncio.Event, show_stats: bool) -> None:
        self._ended = ended
        self._show_stats = show_stats

    def on_state(self, snapshot: PlayerSnapshot) -> None:
        print(event_line(state_event(snapshot)), flush=True)

    def on_now_playing(self, artist: str, title: str, album: str) -> None:
        print(event_line(now_playing_event(artist, title, album)), flush=True)

    def on_stats(self, stats: PlayoutStats) -> None:
        if self._show_stats:
            print(event_line(stats_event(stats)), flush=True)

    def on_ended(self) -> None:
        self._ended.set()


async def run_play(
    target: str, output_spec: str | None, mode: str | None, volume: int | None, config: Config
) -> int:
    is_room = target.startswith(("http://", "https://"))
    if not is_room and not Path(target).is_file():
        print(f"drivetime-unit play: no such file or room URL: {target}", file=sys.stderr)
        return 2
    try:
        output = open_configured_output(
            output_spec or config.audio.output, config.audio.frames_per_block
        )
    except OutputError as exc:
        print(f"drivetime-unit play: {exc}", file=sys.stderr)
        return 2
    if volume is None:
        # A file output captures the decoded PCM as it is; a sound card plays at the
        # configured volume.
        volume = 100 if output.spec.startswith("file:") else config.audio.volume
    player = build_player(config, output, mode, volume)
    ended = asyncio.Event()
    player.add_listener(_PrintingListener(ended, show_stats=is_room))
    if not is_room:
        # Select the file before the output starts: an unpaced output renders from its first
        # block as fast as decoding allows, and must not write leading silence.
        try:
            await player.play_file(target)
        except (OSError, ValueError) as exc:
            print(f"drivetime-unit play: {target}: {exc}", file=sys.stderr)
            output.stop()
            return 1
    await player.start(paced=is_room)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, ended.set)
    try:
        if is_room:
            await player.join(target)
        await ended.wait()
        if not is_room:
            await asyncio.to_thread(output.wait_done, 10.0)
    finally:
        await player.close()
    return 0
