"""Time to first audio: from "play this room" to the first audible block at the output.

* **drivetime (in process)** — the engine is running with its (paced, null) output already
  open, as it is in the car; each run calls ``player.join(url)`` (a fresh join: it stops the
  previous room) and polls ``player.first_audio_monotonic`` every 1 ms. That is when the
  first packet was rendered into an output block; the block reaches the output at its next
  due time (:func:`block_due_monotonic`, at most one 20 ms block later), and that is the
  figure reported.
* **drivetime (CLI process)** — ``drivetime-unit play URL --output file:/dev/fd/N`` as a
  fresh process: spawn to the first non-zero PCM byte on the pipe (Python start-up and
  imports included, like the peers' start-up).
* **mpv, ffmpeg** — spawn to the first non-zero PCM byte on stdout. Their PCM writers are
  not paced (they write as fast as they decode), so this is when the first audio *could*
  reach a sound card; a real output adds its buffer on top, as it would for the engine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time

from device.sources.http_stream import parse_room_url
from tests.bench.engine_inproc import block_due_monotonic, running_engine
from tests.bench.procs import (
    CHILDREN,
    ENGINE_PLAY,
    FFMPEG_PCM,
    MPV_PCM,
    command,
    first_nonzero_byte_s,
    printable,
)
from tests.bench.rig import summary_ms

JOINS = 20
ENGINE_CLI_RUNS = 10  # each one pays a Python start-up; fewer keep the suite short
FIRST_AUDIO_TIMEOUT_S = 10.0
PLAY_BETWEEN_JOINS_S = 0.3


async def engine_in_process(url: str, joins: int = JOINS) -> dict[str, object]:
    rendered: list[float] = []
    heard: list[float] = []
    async with running_engine("null") as engine:
        player = engine.player
        await asyncio.sleep(0.2)  # the output is running, as in the car
        for _ in range(joins):
            joined_at = time.monotonic()
            await player.join(url)
            while (first := player.first_audio_monotonic) is None:
                if time.monotonic() - joined_at > FIRST_AUDIO_TIMEOUT_S:
                    raise TimeoutError(f"no audio {FIRST_AUDIO_TIMEOUT_S} s after join")
                await asyncio.sleep(0.001)
            rendered.append(first - joined_at)
            heard.append(block_due_monotonic(engine.output, first) - joined_at)
            await asyncio.sleep(PLAY_BETWEEN_JOINS_S)
    return {"at_output": summary_ms(heard), "rendered": summary_ms(rendered)}


def process_runs(url: str, joins: int = JOINS, engine_runs: int = ENGINE_CLI_RUNS) -> dict:
    """The peers and the engine's CLI, interleaved run by run so drift hits them alike."""
    peers = {"mpv": MPV_PCM, "ffmpeg": FFMPEG_PCM}
    times: dict[str, list[float]] = {name: [] for name in (*peers, "engine_cli")}
    failures: dict[str, int] = dict.fromkeys(times, 0)
    for run in range(joins):
        for name, template in peers.items():
            seconds = _peer_first_audio_s(command(template, url=url))
            _record(times, failures, name, seconds)
        if run < engine_runs:
            _record(times, failures, "engine_cli", _engine_cli_first_audio_s(url))
    result: dict[str, object] = {
        name: {**summary_ms(values), "failures": failures[name]} for name, values in times.items()
    }
    result["commands"] = {
        "mpv": printable(command(MPV_PCM, url=url)),
        "ffmpeg": printable(command(FFMPEG_PCM, url=url)),
        "engine_cli": printable(command(ENGINE_PLAY, url=url, output="file:/dev/fd/N")),
    }
    return result


def _record(times: dict, failures: dict, name: str, seconds: float | None) -> None:
    if seconds is None:
        failures[name] += 1
    else:
        times[name].append(seconds)


def _peer_first_audio_s(cmd: list[str]) -> float | None:
    started = time.monotonic()
    proc = CHILDREN.spawn(cmd, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        return first_nonzero_byte_s(proc.stdout.fileno(), started, FIRST_AUDIO_TIMEOUT_S)
    finally:
        CHILDREN.kill(proc)


def _engine_cli_first_audio_s(url: str) -> float | None:
    # The CLI prints its events on stdout, so the PCM goes to a pipe of its own.
    read_fd, write_fd = os.pipe()
    cmd = command(ENGINE_PLAY, url=url, output=f"file:/dev/fd/{write_fd}")
    try:
        started = time.monotonic()
        proc = CHILDREN.spawn(cmd, pass_fds=(write_fd,))
        os.close(write_fd)
        write_fd = -1
        try:
            return first_nonzero_byte_s(read_fd, started, FIRST_AUDIO_TIMEOUT_S)
        finally:
            CHILDREN.kill(proc)
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def server_first_body_byte(url: str, runs: int = JOINS) -> dict[str, object]:
    """The floor under every player: connect → first byte of stream body, plain socket."""
    host, port, path = parse_room_url(url)
    times: list[float] = []
    for _ in range(runs):
        started = time.monotonic()
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            received = b""
            while b"\r\n\r\n" not in received or received.endswith(b"\r\n\r\n"):
                chunk = sock.recv(65_536)
                if not chunk:
                    raise ConnectionError(f"{url}: closed before the stream body")
                received += chunk
            times.append(time.monotonic() - started)
        time.sleep(0.1)
    return summary_ms(times)
