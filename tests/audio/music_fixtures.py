"""Real music files made with ffmpeg for the music decoder tests, and a listener's ear.

The standard test file: 2 s of a different tone on each channel, changing at 1 s (left
440 → 880 Hz, right 660 → 1320 Hz), so one file tells the frequency, the channel order, the
duration and where a seek landed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from device.audio.packets import StreamInfo
from device.audio.pcm import CAR_PCM
from device.audio.renderer import PacketFeed, Renderer
from studio.pilot import dominant_frequency

RATE = CAR_PCM.rate
BLOCK_FRAMES = 960
BYTES_PER_FRAME = CAR_PCM.bytes_per_frame
LEFT_HZ = (440.0, 880.0)  # first second, second second
RIGHT_HZ = (660.0, 1320.0)
CODEC_ARGS = {
    ".flac": ("-c:a", "flac"),
    ".ogg": ("-c:a", "libvorbis", "-q:a", "4"),
    ".mp3": ("-c:a", "libmp3lame", "-b:a", "160k"),
    ".wav": ("-c:a", "pcm_s16le"),
}


def ffmpeg(*args: str | Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.fail("music tests need ffmpeg: apt-get install ffmpeg")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *map(str, args)],
        check=True,
        capture_output=True,
    )


def make_two_tone(path: Path, *, rate: int = 44_100, extra: tuple[str, ...] = ()) -> Path:
    """The standard test file (see module doc), encoded by its suffix."""
    left = f"0.5*sin(2*PI*if(lt(t\\,1)\\,{LEFT_HZ[0]:g}\\,{LEFT_HZ[1]:g})*t)"
    right = f"0.5*sin(2*PI*if(lt(t\\,1)\\,{RIGHT_HZ[0]:g}\\,{RIGHT_HZ[1]:g})*t)"
    source = f"aevalsrc=exprs={left}|{right}:s={rate}:d=2"
    ffmpeg("-f", "lavfi", "-i", source, *CODEC_ARGS[path.suffix.lower()], *extra, path)
    return path


def make_mono_tone(path: Path, hz: float = 440.0, seconds: float = 1.0) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency={hz:g}:sample_rate=44100:duration={seconds:g}",
        "-ac", "1", *CODEC_ARGS[path.suffix.lower()], path,
    )  # fmt: skip
    return path


@dataclass
class Heard:
    """What a listener got from the renderer: the PCM up to the feed's end, announcements."""

    pcm: bytes
    streams: list[StreamInfo] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return len(self.pcm) // BYTES_PER_FRAME

    def channel(self, index: int, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        samples = np.frombuffer(self.pcm, dtype="<i2").reshape(-1, 2)[:, index]
        end = None if end_s is None else round(end_s * RATE)
        return samples[round(start_s * RATE) : end]

    def frequency(self, index: int, start_s: float, end_s: float) -> float:
        mono = self.channel(index, start_s, end_s)
        return dominant_frequency(mono.tobytes(), RATE, 1)


def play(feed: PacketFeed, max_seconds: float = 10.0) -> Heard:
    """Run the real renderer over ``feed`` in 20 ms blocks until the feed ends."""
    streams: list[StreamInfo] = []
    renderer = Renderer(feed, on_stream_start=streams.append)
    block = memoryview(bytearray(BLOCK_FRAMES * BYTES_PER_FRAME))
    pcm = bytearray()
    for _ in range(round(max_seconds * RATE / BLOCK_FRAMES)):
        frames = renderer.fill(block)
        pcm += block[: frames * BYTES_PER_FRAME]
        if frames < BLOCK_FRAMES:
            break
    else:
        raise AssertionError(f"the feed did not end within {max_seconds} s")
    assert renderer.ended
    assert renderer.render_errors == 0
    return Heard(bytes(pcm), streams)
