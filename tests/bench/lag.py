"""Live-mode lag behind the source: the engine, mpv and ffmpeg on the same mount, at once.

All three join ``/live.opus`` together (Icecast's default 64 KiB burst), play for
:data:`SETTLE_S`, then are measured over :data:`WINDOW_S`:

* **drivetime** — ``player.stats().lag_ms`` sampled every 100 ms (the engine's lag meter:
  the granule being rendered against the source's clock tag). Cross-check: the engine plays
  to a paced ``file:`` output; each pilot marker in that file was written at
  ``first_block_monotonic + frame / 48000`` and is compared with when the source produced it.
* **mpv, ffmpeg** — their PCM on stdout, timestamped as it arrives. Markers are located in
  it and timed with :class:`~tests.bench.markers.PipeTimeline`: as a player that plays all it
  received in real time from its first byte would hear them. That is the lag reported. The
  pipe-arrival lag (when the PCM was decoded) is kept too: it is what a peer would reach if
  it skipped the server's burst, and it understates a real player's lag by its output buffer
  (as the engine's figures leave out a sound card's buffer).
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

from studio import pilot
from tests.bench.engine_inproc import running_engine
from tests.bench.markers import RATE, MarkerLag, PipeTimeline, marker_lags
from tests.bench.procs import CHILDREN, FFMPEG_PCM, MPV_PCM, PcmCapture, command, printable
from tests.bench.rig import summary_ms

SETTLE_S = 3.0
WINDOW_S = 20.0
SAMPLE_EVERY_S = 0.1


async def measure(url: str, source_start: float) -> dict[str, object]:
    peers = {"mpv": MPV_PCM, "ffmpeg": FFMPEG_PCM}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    captures: dict[str, PcmCapture] = {}
    try:
        for name, template in peers.items():
            procs[name] = CHILDREN.spawn(command(template, url=url), stdout=subprocess.PIPE)
            stdout = procs[name].stdout
            assert stdout is not None
            captures[name] = PcmCapture(stdout.fileno()).start()
        with tempfile.TemporaryDirectory(prefix="drivetime-bench-lag-") as tmp:
            capture_path = Path(tmp) / "engine.raw"
            engine_result, window = await _engine(url, capture_path, source_start)
    finally:
        for name, capture in captures.items():
            capture.stop()
            CHILDREN.kill(procs[name])
    result: dict[str, object] = {"drivetime": engine_result}
    for name, capture in captures.items():
        result[name] = _peer_result(capture, source_start, window)
    result["commands"] = {name: printable(command(t, url=url)) for name, t in peers.items()}
    result["window_s"] = WINDOW_S
    result["settle_s"] = SETTLE_S
    return result


async def _engine(
    url: str, capture_path: Path, source_start: float
) -> tuple[dict[str, object], tuple[float, float]]:
    lag_samples_ms: list[int] = []
    async with running_engine(f"file:{capture_path}") as engine:
        await engine.player.join(url)
        await asyncio.sleep(SETTLE_S)
        window_start = time.monotonic()
        while time.monotonic() < window_start + WINDOW_S:
            lag_samples_ms.append(engine.player.stats().lag_ms)
            await asyncio.sleep(SAMPLE_EVERY_S)
        window = (window_start, time.monotonic())
        stats = engine.player.stats()
        output = engine.output
    # Closed: the file is complete. Its frame n was written at t0 + n / 48000.
    t0 = output.first_block_monotonic or 0.0
    markers = pilot.find_markers(capture_path.read_bytes())
    at = lambda frame: t0 + frame / RATE  # noqa: E731 - written = heard for a paced output
    lags = _in_window(marker_lags(markers, source_start, at, at), window)
    known = [ms / 1000 for ms in lag_samples_ms if ms >= 0]
    return {
        "lag_meter": summary_ms(known),
        "lag_meter_unknown_samples": len(lag_samples_ms) - len(known),
        "markers": summary_ms([lag.lag_s for lag in lags]),
        "stats_at_end": stats.__dict__,
    }, window


def _peer_result(
    capture: PcmCapture, source_start: float, window: tuple[float, float]
) -> dict[str, object]:
    if not capture.chunks:
        return {"error": "no PCM received"}
    timeline = PipeTimeline(capture.chunks)
    markers = pilot.find_markers(bytes(capture.data))
    lags = marker_lags(markers, source_start, timeline.arrived_at, timeline.heard_at)
    # Pipe arrival is judged on markers that *arrived* in the window: those heard in it were
    # mostly in the server's burst, which arrives all at once, seconds after production.
    arrived = [
        lag.arrived_at - (source_start + lag.second)
        for lag in lags
        if window[0] <= lag.arrived_at <= window[1]
    ]
    return {
        "played": summary_ms([lag.lag_s for lag in _in_window(lags, window)]),
        "pipe_arrival": summary_ms(arrived),
        "burst_surplus_s": round(timeline.surplus_s(), 3),
        "first_pcm_after_window_start_s": round(capture.chunks[0][0] - window[0], 3),
        "received_s": round(len(capture.data) / (RATE * 4), 3),
        "markers_found": len(markers),
    }


def _in_window(lags: list[MarkerLag], window: tuple[float, float]) -> list[MarkerLag]:
    return [lag for lag in lags if window[0] <= lag.heard_at <= window[1]]
