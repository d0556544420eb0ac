"""Opus decode speed as a real-time factor (seconds of audio per second of CPU-bound wall time).

Run as ``python -m tests.bench.decode_speed FILE.opus SINK_DIR``: prints one JSON object.
The suite runs it in a fresh process so that nothing else in the benchmark process (room
sources on threads) shares its interpreter. Every path below and every whole-process decoder
runs once per round for :data:`ROUNDS` rounds, interleaved; the best round is the figure
(this VM's speed drifts by tens of percent from one minute to the next, so only figures taken
side by side compare), the median is kept as well. In process:

* ``demux`` — :class:`~device.audio.opus_stream.OpusStreamReader` over the file's bytes in
  64 KiB pieces: Ogg pages, CRCs, packets, granule placement;
* ``decode`` — the demuxed packets through :class:`~device.audio.opus_codec.OpusDecoder`
  (``decode_into`` a preallocated buffer; reset at each chained link), nothing else;
* ``renderer`` — the engine's playback path for a file: ``LocalFileFeed`` (demux as the
  renderer pulls) → :class:`~device.audio.renderer.Renderer` filling 20 ms output blocks
  (decode, pre-skip/end trim, slicing into blocks). What an output's render thread runs;
* ``libopus`` — the floor: ``opus_decode`` in a bare ctypes loop, nothing else.

As whole processes, start-up included (:data:`~tests.bench.procs.DECODE_COMMANDS`): the
engine's CLI (``play FILE --output file:…`` runs unpaced for a file), opusdec, ffmpeg, mpv.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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
from tests.bench.procs import DECODE_COMMANDS, command, printable

ROUNDS = 7
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


def libopus(packets: list[bytes]) -> None:
    """The floor: libopus alone, called through ctypes with everything prepared up front."""
    lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                ctypes.c_void_p, ctypes.c_int, ctypes.c_int]  # fmt: skip
    error = ctypes.c_int()
    state = ctypes.c_void_p(lib.opus_decoder_create(OPUS_RATE, 2, ctypes.byref(error)))
    out = ctypes.create_string_buffer(MAX_FRAME_SAMPLES * CAR_PCM.bytes_per_frame)
    decode_call = lib.opus_decode
    try:
        for packet in packets:
            decode_call(state, packet, len(packet), out, MAX_FRAME_SAMPLES, 0)
    finally:
        lib.opus_decoder_destroy(state)


def measure(path: Path, sink_dir: Path, rounds: int = ROUNDS) -> dict[str, object]:
    """Every path and every process once per round, interleaved, so that a slow spell of the
    machine hits them all alike; best and median of the rounds."""
    data = path.read_bytes()
    events = demux(data)
    packets = [event.data for event in events if isinstance(event, AudioPacket)]
    audio_s = render(path) / OPUS_RATE
    paths = {
        "demux": lambda: demux(data),
        "decode": lambda: decode(events),
        "renderer": lambda: render(path),
        "libopus": lambda: libopus(packets),
    }
    raw = str(sink_dir / "out.raw")
    commands = {
        name: command(template, path=str(path), raw=raw)
        for name, template in DECODE_COMMANDS.items()
    }
    walls: dict[str, list[float]] = {name: [] for name in (*paths, *commands)}
    for _ in range(rounds):
        for name, run in paths.items():
            started = time.perf_counter()
            run()
            walls[name].append(time.perf_counter() - started)
        for name, cmd in commands.items():
            started = time.perf_counter()
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True, timeout=120)  # fmt: skip
            walls[name].append(time.perf_counter() - started)
    return {
        "audio_s": round(audio_s, 3),
        "packets": len(packets),
        "rounds": rounds,
        "in_process": {name: rtf_summary(walls[name], audio_s) for name in paths},
        "processes": {
            name: {"command": printable(cmd), **rtf_summary(walls[name], audio_s)}
            for name, cmd in commands.items()
        },
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
    print(json.dumps(measure(Path(sys.argv[1]), Path(sys.argv[2]))))
