"""Shared helpers and fixtures for the output tests (import them from the test modules).

* ``PatternSource`` — a ``BlockSource`` playing a known pattern: a counting ramp in which no
  sample is zero and left = -right, so any drop, duplicate, swap or inserted silence shows.
* ``open_capture`` — a real PortAudio output device without a sound card: ALSA's ``file``
  plugin (tests/audio/asound_file.conf) writes every sample it plays into a FIFO that a thread
  drains at real-time rate, which paces PortAudio like a sound card would (the plugin's ``null``
  slave alone would let it run ~1000x faster than real time).
* ``alsa_config`` (fixture) — the same ALSA configuration, capturing into /dev/null, for tests
  that only open devices.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from device.audio.pcm import CAR_PCM

ALSA_FILE_CONF = Path(__file__).with_name("asound_file.conf")
CAPTURE_ENV = "DRIVETIME_ALSA_CAPTURE"
BYTES_PER_FRAME = CAR_PCM.bytes_per_frame


def ramp_pattern(frames: int, *, first_frame: int = 0) -> bytes:
    """Interleaved s16le stereo: left counts 1..32767 and wraps, right is its negative."""
    left = (np.arange(first_frame, first_frame + frames) % 32767 + 1).astype("<i2")
    return np.column_stack([left, -left]).astype("<i2").tobytes()


class PatternSource:
    """Plays ``ramp_pattern`` (from ``first_frame``) in blocks; ``blocks=None`` never ends.

    ``fills`` counts fill() calls; ``started`` is set after ``signal_after`` filled blocks.
    """

    def __init__(self, blocks: int | None, *, signal_after: int = 1, first_frame: int = 0) -> None:
        self.blocks = blocks
        self.first_frame = first_frame
        self.fills = 0
        self.frames_played = 0
        self.signal_after = signal_after
        self.started = threading.Event()

    def expected(self, frames: int | None = None) -> bytes:
        count = self.frames_played if frames is None else frames
        return ramp_pattern(count, first_frame=self.first_frame)

    def fill(self, block: memoryview) -> int:
        self.fills += 1
        if self.blocks is not None and self.fills > self.blocks:
            return 0
        frames = len(block) // BYTES_PER_FRAME
        block[:] = ramp_pattern(frames, first_frame=self.first_frame + self.frames_played)
        self.frames_played += frames
        if self.fills >= self.signal_after:
            self.started.set()
        return frames


def split_silence(captured: bytes, slot_bytes: int) -> tuple[bytes, int]:
    """Strip leading/trailing silence, then remove whole silent slots from the middle.

    Returns (audible bytes, number of silent slots removed from the middle). A device writes
    silence before the first callback (priming), after the last, and for each ring underrun.
    """
    samples = np.frombuffer(captured, dtype="<i2")
    nonzero = np.flatnonzero(samples)
    if nonzero.size == 0:
        return b"", 0
    audio = captured[nonzero[0] * 2 : (nonzero[-1] + 1) * 2]
    silent = bytes(slot_bytes)
    kept = [audio[i : i + slot_bytes] for i in range(0, len(audio), slot_bytes)]
    audible = [slot for slot in kept if slot != silent]
    return b"".join(audible), len(kept) - len(audible)


class PacedCapture:
    """Reads the FIFO the ALSA file plugin writes to, at ``rate`` frames per second.

    The plugin opens the file for each PCM it opens (PortAudio probes devices too), so the
    reader reopens the FIFO after every end-of-file. After ``close`` it drains without pacing
    so a writer never blocks.
    """

    PIPE_BYTES = 4096  # smallest pipe buffer: ~21 ms of audio, about a sound card's

    def __init__(self, fifo: Path, *, rate: int) -> None:
        self.fifo = fifo
        self.rate = rate
        self._data = bytearray()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        os.mkfifo(fifo)
        self._thread = threading.Thread(target=self._run, name="paced capture", daemon=True)
        self._thread.start()

    def captured(self) -> bytes:
        with self._lock:
            return bytes(self._data)

    def close(self) -> None:
        self._closing.set()
        for _ in range(100):
            try:  # wake a reader blocked in open(): it sees a writer come and go
                os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader in open() right now
                    raise
            self._thread.join(0.05)
            if not self._thread.is_alive():
                return

    def _run(self) -> None:
        while not self._closing.is_set():
            fd = os.open(self.fifo, os.O_RDONLY)
            try:
                with contextlib.suppress(OSError):  # EBUSY: more is buffered already
                    fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, self.PIPE_BYTES)
                self._drain(fd)
            finally:
                os.close(fd)

    def _drain(self, fd: int) -> None:
        bytes_per_s = self.rate * BYTES_PER_FRAME
        t0 = time.monotonic()
        consumed = 0
        while True:
            if not self._closing.is_set():
                delay = t0 + consumed / bytes_per_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # this thread IS the sound card's clock
            chunk = os.read(fd, 1920)
            if not chunk:
                return
            with self._lock:
                self._data.extend(chunk)
            consumed += len(chunk)


@pytest.fixture
def alsa_config(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ALSA (read when PortAudio initialises) at the test configuration."""
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(ALSA_FILE_CONF))
    monkeypatch.setenv(CAPTURE_ENV, os.devnull)
    return ALSA_FILE_CONF


def open_capture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, rate: int = CAR_PCM.rate
) -> PacedCapture:
    """A paced capture for the next PortAudio output opened in this test (PortAudio reads the
    ALSA configuration when it initialises). Stop the output before closing the capture."""
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(ALSA_FILE_CONF))
    capture = PacedCapture(tmp_path / f"capture-{rate}.fifo", rate=rate)
    monkeypatch.setenv(CAPTURE_ENV, str(capture.fifo))
    return capture
