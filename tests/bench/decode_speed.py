"""Opus decode speed as a real-time factor (seconds of audio per second of CPU-bound wall time).

Run as ``python -m tests.bench.decode_speed FILE.opus``: prints one JSON object. The suite
runs it in a fresh process so that nothing else in the benchmark process (room sources on
threads) shares its interpreter. Three in-process paths, each run :data:`ROUNDS` times,
interleaved; the best run is the figure (this VM's speed drifts by up to ±30 % from one
second to the next), the median is kept as well:

* ``demux`` — :class:`~device.audio.opus_stream.OpusStreamReader` over the file's bytes in
  64 KiB pieces: Ogg pages, CRCs, packets, granule placement;
* ``decode`` — the demuxed packets through :class:`~device.audio.opus_codec.OpusDecoder`
  (``decode_into`` a preallocated buffer; reset at each chained link), nothing else;
* ``renderer`` — the engine's playback path for a file: ``LocalFileFeed`` (demux as the
  renderer pulls) → :class:`~device.audio.renderer.Renderer` filling 20 ms output blocks
  (decode, pre-skip/end trim, slicing into blocks). What an output's render thread runs.

The peers (opusdec, ffmpeg, mpv) and the engine's CLI are timed as whole processes by the
suite (:func:`process_rtf`), start-up included.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from device.audio.opus_codec import OpusDecoder
from device.audio.opus_stream import OpusStreamReader, StreamStarted
from device.audio.packets import AudioPacket
from device.audio.pcm import CAR_PCM, OPUS_RATE
from device.audio.renderer import MAX_FRAME_SAMPLES, Renderer
from device.sources.local_file import LocalFileFeed

ROUNDS = 9
PROCESS_ROUNDS = 5
READ_BYTES = 64 * 1024
BLOCK_FRAMES = 960


def demux(data: bytes) -> list[StreamStarted | AudioPacket]:
    reader = OpusStreamReader()
    events: list[StreamStarted | AudioPacket] = []
    for offset in range(0, len(data), READ_BYTES):
        events += _kept(reader.feed(data[offset : offset + READ_BYTES]))
    events += _kept(reader.feed_eof())
    return events


def decode(events: list[StreamStarted | AudioPacket]) -> int:
    """Decode every packet; returns the frames decoded."""
    out = bytearray(MAX_FRAME_SAMPLES * CAR_PCM.bytes_per_frame)
    decoder: OpusDecoder | None = None
    frames = 0
    for event in events:
        if isinstance(event, StreamStarted):
            if decoder is None:
                decoder = OpusDecoder.for_stream(event.info)
            else:
                decoder.start_stream(event.info)
        elif decoder is not None:
            frames += decoder.decode_into(event.data, out)
    if decoder is not None:
        decoder.close()
    return frames


def render(path: Path) -> int:
    """The renderer over the file, block by block; returns the frames of audio produced."""
    feed = LocalFileFeed(path)
    renderer = Renderer(feed)
    block = memoryview(bytearray(BLOCK_FRAMES * CAR_PCM.bytes_per_frame))
    frames = 0
    try:
        while audio_frames := renderer.fill(block):
            frames += audio_frames
    finally:
        renderer.close()
        feed.close()
    return frames


def measure(path: Path, rounds: int = ROUNDS) -> dict[str, object]:
    data = path.read_bytes()
    events = demux(data)
    audio_s = render(path) / OPUS_RATE
    paths = {
        "demux": lambda: demux(data),
        "decode": lambda: decode(events),
        "renderer": lambda: render(path),
    }
    walls: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):  # interleaved, so a slow spell of the machine hits all alike
        for name, run in paths.items():
            started = time.perf_counter()
            run()
            walls[name].append(time.perf_counter() - started)
    return {
        "audio_s": round(audio_s, 3),
        "packets": sum(isinstance(e, AudioPacket) for e in events),
        "rounds": rounds,
        **{name: rtf_summary(values, audio_s) for name, values in walls.items()},
    }


def process_rtf(
    commands: dict[str, list[str]], audio_s: float, rounds: int = PROCESS_ROUNDS
) -> dict[str, dict[str, object]]:
    """Wall time of whole decoding processes (start-up included), interleaved round by round."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            started = time.perf_counter()
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True, timeout=120)  # fmt: skip
            walls[name].append(time.perf_counter() - started)
    return {
        name: {"command": " ".join(commands[name]), **rtf_summary(values, audio_s)}
        for name, values in walls.items()
    }


def rtf_summary(walls: list[float], audio_s: float) -> dict[str, object]:
    """Best wall time (the figure) and the median (how noisy the machine was)."""
    best, median = min(walls), statistics.median(walls)
    return {
        "wall_s": round(best, 4),
        "median_wall_s": round(median, 4),
        "rtf": round(audio_s / best, 1),
        "median_rtf": round(audio_s / median, 1),
    }


def _kept(events: list) -> list[StreamStarted | AudioPacket]:
    return [e for e in events if isinstance(e, StreamStarted | AudioPacket)]


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
