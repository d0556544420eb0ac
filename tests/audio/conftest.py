"""Audio test fixtures: real Ogg Opus files made at test time with sox + opusenc, reference PCM
from opusdec, and a decode helper that runs OpusStreamReader + OpusDecoder like the engine.

Needs the Debian packages ``opus-tools`` and ``sox`` (installed by the project's CI script).
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from device.audio.opus_codec import OpusDecoder
from device.audio.opus_stream import OpusStreamReader, StreamEnded, StreamStarted
from device.audio.packets import AudioPacket, StreamInfo

_TOOLS = ("sox", "opusenc", "opusdec")


def _require_tools() -> None:
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"audio tests need {', '.join(missing)}: apt-get install opus-tools sox")


def _run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def _make_opus(
    directory: Path,
    seconds: float = 3.0,
    channels: int = 2,
    artist: str | None = None,
    title: str | None = None,
    album: str | None = None,
    *,
    base_hz: float = 261.63,
    extra_args: Iterable[str] = (),
    name: str | None = None,
) -> Path:
    """An Ogg Opus file of a chord (root ``base_hz``, a fifth on the right) from opusenc."""
    _require_tools()
    stem = name or f"tone_{base_hz:g}_{channels}ch_{seconds:g}s"
    wav = directory / f"{stem}.wav"
    opus = directory / f"{stem}.opus"
    fifth_hz = base_hz * 1.5
    tones = (
        ["sine", f"{base_hz}", "sine", f"{fifth_hz}"] if channels == 2 else ["sine", f"{base_hz}"]
    )
    _run(
        "sox", "-n", "-r", "48000", "-b", "16", "-c", str(channels), wav,
        "synth", f"{seconds}", *tones, "tremolo", "3", "40", "vol", "0.5",
    )  # fmt: skip
    tags = []
    for flag, value in (("--artist", artist), ("--title", title), ("--album", album)):
        if value is not None:
            tags += [flag, value]
    _run("opusenc", "--quiet", "--bitrate", "96", *tags, *extra_args, wav, opus)
    return opus


def _opusdec_pcm(path: Path) -> bytes:
    """Reference decode: 48 kHz stereo s16le, no dither (mono is copied to both channels)."""
    _require_tools()
    raw = path.with_suffix(".ref.raw")
    _run("opusdec", "--quiet", "--no-dither", "--rate", "48000", "--force-stereo", path, raw)
    return raw.read_bytes()


@dataclass
class DecodedLink:
    info: StreamInfo
    started: StreamStarted
    pcm: bytearray = field(default_factory=bytearray)
    packets: list[AudioPacket] = field(default_factory=list)
    ended: StreamEnded | None = None


@dataclass
class Decoded:
    links: list[DecodedLink]
    reader: OpusStreamReader

    @property
    def pcm(self) -> bytes:
        return b"".join(bytes(link.pcm) for link in self.links)


def _chunked(data: bytes, sizes: Callable[[], int] | int | None) -> Iterable[bytes]:
    """``data`` in chunks: fixed size, sizes drawn from a callable, or whole (None)."""
    if sizes is None:
        yield data
        return
    position = 0
    while position < len(data):
        size = sizes if isinstance(sizes, int) else sizes()
        yield data[position : position + size]
        position += size


def _decode_stream(data: bytes, chunk_sizes: Callable[[], int] | int | None = 4096) -> Decoded:
    """Demux + decode like the engine: decoder reset per chained link, trims applied."""
    reader = OpusStreamReader()
    links: list[DecodedLink] = []
    decoder: OpusDecoder | None = None
    out = bytearray(5760 * 4)

    def handle(events: list) -> None:
        nonlocal decoder
        for event in events:
            if isinstance(event, StreamStarted):
                links.append(DecodedLink(event.info, event))
                if decoder is None:
                    decoder = OpusDecoder.for_stream(event.info)
                else:
                    decoder.start_stream(event.info)
            elif isinstance(event, AudioPacket):
                frames = decoder.decode_into(event.data, out)
                assert frames == event.samples
                links[-1].packets.append(event)
                links[-1].pcm += out[event.trim_start * 4 : (frames - event.trim_end) * 4]
            else:
                links[-1].ended = event

    for chunk in _chunked(data, chunk_sizes):
        handle(reader.feed(chunk))
    handle(reader.feed_eof())
    if decoder is not None:
        decoder.close()
    return Decoded(links, reader)


def _random_chunks(seed: int, low: int = 1, high: int = 9) -> Callable[[], int]:
    rng = random.Random(seed)
    return lambda: rng.randint(low, high)


@pytest.fixture
def make_opus(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_opus(seconds=3, channels=2, artist=None, title=None, album=None,
    base_hz=261.63, extra_args=(), name=None) -> Path`` (a file under this test's tmp_path)."""
    _require_tools()
    return lambda *args, **kwargs: _make_opus(tmp_path, *args, **kwargs)


@pytest.fixture
def opusdec_pcm() -> Callable[[Path], bytes]:
    """Factory: ``opusdec_pcm(path) -> bytes``, the reference decode by opusdec."""
    _require_tools()
    return _opusdec_pcm


@pytest.fixture
def decode_opus() -> Callable[..., Decoded]:
    """Factory: ``decode_opus(data, chunk_sizes=4096) -> Decoded`` (links with PCM, reader)."""
    return _decode_stream


@pytest.fixture
def random_chunks() -> Callable[..., Callable[[], int]]:
    """Factory: ``random_chunks(seed, low=1, high=9)``: seeded chunk sizes for feeding."""
    return _random_chunks
