"""Opus decode speed as a real-time factor (seconds of audio per second of CPU-bound wall time).

Run as ``python -m tests.bench.decode_speed FILE.opus``: prints one JSON object. The suite
runs it in a fresh process so that nothing else in the benchmark process (room sources on
threads) shares its interpreter. Three in-process paths, best of :data:`REPEATS` each:

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

REPEATS = 5
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


def measure(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    events = demux(data)
    audio_s = render(path) / OPUS_RATE
    timings = {
        "demux": _best(lambda: demux(data)),
        "decode": _best(lambda: decode(events)),
        "renderer": _best(lambda: render(path)),
    }
    return {
        "audio_s": round(audio_s, 3),
        "packets": sum(isinstance(e, AudioPacket) for e in events),
        **{
            name: {"wall_s": round(seconds, 4), "rtf": round(audio_s / seconds, 1)}
            for name, seconds in timings.items()
        },
    }


def process_rtf(cmd: list[str], audio_s: float, repeats: int = REPEATS) -> dict[str, object]:
    """Wall time of a whole decoding process (start-up included), best and median of runs."""
    walls: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, timeout=120)  # fmt: skip
        walls.append(time.perf_counter() - started)
    best = min(walls)
    return {
        "command": " ".join(cmd),
        "wall_s": round(best, 4),
        "median_wall_s": round(statistics.median(walls), 4),
        "rtf": round(audio_s / best, 1),
    }


def _kept(events: list) -> list[StreamStarted | AudioPacket]:
    return [e for e in events if isinstance(e, StreamStarted | AudioPacket)]


def _best(run: object) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
